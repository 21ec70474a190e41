import Foundation

/// Renders a `HumanStudy` as one self-contained HTML page: pictures embedded as `data:` URIs, CSS
/// and JavaScript inline, and a Content-Security-Policy that forbids every network request, so
/// the file can be mailed to an annotator and opened from disk in any current browser.
///
/// The page shows one image at a time with the model's answer, three verdict buttons (keys
/// `1`/`C` correct, `2`/`A` acceptable, `3`/`W` wrong; `←`/`→` move), the progress, a name field,
/// and a "Download verdicts" button that saves the verdict file (`Blob` + a download link) and
/// also prints it in the page, for browsers that block downloads. Verdicts are kept in the
/// browser's `localStorage` under the study id, so a reload does not lose them. The file format
/// is described by `HumanStudyVerdicts`.
///
/// Test hook: opened with the fragment `#autotest=STEPS`, the page runs the comma-separated
/// steps as a person would (`key:1` presses a key on the document, `click:ID` clicks the element
/// with that id, `name:TEXT` types the annotator's name), then clicks "Download verdicts" and
/// marks `<body data-autotest="done">`. A headless browser's `--dump-dom` then shows the saved
/// JSON in `<pre id="verdicts-json">`. Without that fragment nothing of this runs.
public enum HumanStudyPage {
  /// The HTML page for `study`.
  ///
  /// - Complexity: O(total picture bytes): every picture is embedded in base 64 (4/3 of its
  ///   size); 224×224 JPEG crops take about 20 kB each.
  public static func html(for study: HumanStudy) -> String {
    var items: [[String: Any]] = []
    for item in study.items {
      var entry: [String: Any] = [
        "id": item.id, "answer": item.answer, "label": item.label, "mistake": item.isMistake,
        "image": item.image.dataURI, "note": item.note,
      ]
      if let probability = item.probability { entry["probability"] = probability }
      if let explanation = item.explanation { entry["explanation"] = explanation.dataURI }
      items.append(entry)
    }
    let data: [String: Any] = [
      "format": HumanStudyVerdicts.format, "version": HumanStudyVerdicts.version,
      "study": study.id, "title": study.title, "population": study.population,
      "showLabels": study.showsLabels, "items": items,
    ]
    // Sorted keys make the page reproducible; JSON never needs escaping inside a script element
    // except for "</" (and U+2028/9 in old engines), replaced by their \u escapes.
    let json =
      (try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes]))
      .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    let safeJSON = json.replacingOccurrences(of: "<", with: "\\u003c")
      .replacingOccurrences(of: "\u{2028}", with: "\\u2028")
      .replacingOccurrences(of: "\u{2029}", with: "\\u2029")
    return filled(template, with: [
      "TITLE": escaped(study.title), "INSTRUCTIONS": escaped(study.instructions),
      "STYLE": style, "SCRIPT": script, "DATA": safeJSON,
    ])
  }

  /// `template` with each `{{NAME}}` replaced by `values[NAME]`, in one pass, so that inserted
  /// text is never scanned again.
  private static func filled(_ template: String, with values: [String: String]) -> String {
    var output = ""
    var rest = template[...]
    while let open = rest.range(of: "{{"),
      let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex)
    {
      output += rest[..<open.lowerBound]
      let key = String(rest[open.upperBound..<close.lowerBound])
      output += values[key] ?? ""
      rest = rest[close.upperBound...]
    }
    output += rest
    return output
  }

  /// Writes the page to `url`.
  ///
  /// - Throws: `HumanStudyError.unwritable` naming the file.
  public static func write(_ study: HumanStudy, to url: URL) throws {
    do {
      try Data(html(for: study).utf8).write(to: url, options: .atomic)
    } catch {
      throw HumanStudyError.unwritable(file: url.path, reason: error.localizedDescription)
    }
  }

  /// `&`, `<`, `>`, `"` and `'` as HTML entities.
  static func escaped(_ text: String) -> String { HTMLText.escaped(text) }

  private static let template = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; \
    style-src 'unsafe-inline'; script-src 'unsafe-inline'">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{TITLE}}</title>
    <style>
    {{STYLE}}
    </style>
    </head>
    <body>
    <header>
    <h1>{{TITLE}}</h1>
    <p id="instructions">{{INSTRUCTIONS}}</p>
    <label>Your name or initials: <input id="annotator" type="text" autocomplete="off"></label>
    <span id="progress" aria-live="polite"></span>
    </header>
    <main>
    <figure id="item">
    <div id="pictures"><img id="picture" alt="image to judge"><img id="explanation" alt="explanation" hidden></div>
    <figcaption>
    <div>The model's answer: <strong id="answer"></strong> <span id="probability"></span></div>
    <div id="label-line" hidden>The dataset's label: <span id="label"></span></div>
    <div id="note"></div>
    <div id="current-verdict"></div>
    </figcaption>
    </figure>
    <div id="verdict-buttons">
    <button id="verdict-correct" data-verdict="correct" type="button"><kbd>1</kbd> Correct</button>
    <button id="verdict-acceptable" data-verdict="acceptable" type="button"><kbd>2</kbd> Acceptable mistake</button>
    <button id="verdict-wrong" data-verdict="wrong" type="button"><kbd>3</kbd> Wrong</button>
    </div>
    <div id="navigation">
    <button id="previous" type="button">&larr; Previous</button>
    <button id="next" type="button">Next &rarr;</button>
    <button id="download" type="button">Download verdicts</button>
    <a id="download-link" hidden></a>
    </div>
    <details id="saved"><summary>Saved verdict file (copy it if the download was blocked)</summary>
    <pre id="verdicts-json"></pre></details>
    </main>
    <script type="application/json" id="study-data">{{DATA}}</script>
    <script>
    {{SCRIPT}}
    </script>
    </body>
    </html>

    """

  private static let style = """
    body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; }
    header { border-bottom: 1px solid #ccc; margin-bottom: 1rem; }
    #progress { margin-left: 1rem; color: #555; }
    #pictures { display: flex; gap: 0.5rem; }
    #pictures img { width: 100%; max-width: 28rem; image-rendering: auto; }
    figcaption { font-size: 1.2rem; margin: 0.5rem 0; }
    #note { color: #555; font-size: 1rem; }
    #current-verdict { font-weight: bold; min-height: 1.5em; }
    button { font-size: 1.1rem; padding: 0.4rem 0.8rem; margin: 0.2rem; }
    button.chosen { outline: 3px solid #2a6; }
    #verdict-correct { background: #dfd; } #verdict-acceptable { background: #ffd; }
    #verdict-wrong { background: #fdd; }
    pre { white-space: pre-wrap; word-break: break-all; background: #f4f4f4; padding: 0.5rem; }
    """

  private static let script = #"""
    "use strict";
    (function () {
      const study = JSON.parse(document.getElementById("study-data").textContent);
      const storageKey = "convnetprobe-study:" + study.study;
      const byId = (id) => document.getElementById(id);
      const autotest = /^#autotest=/.test(location.hash);
      const state = { index: 0, started: new Date().toISOString(), verdicts: {} };

      function load() {
        if (autotest) return;
        try {
          const saved = JSON.parse(localStorage.getItem(storageKey) || "null");
          if (saved && saved.verdicts) {
            state.started = saved.started || state.started;
            state.verdicts = saved.verdicts;
            byId("annotator").value = saved.annotator || "";
          }
        } catch (error) { /* storage unavailable: keep the verdicts in memory only */ }
      }

      function save() {
        if (autotest) return;
        try {
          localStorage.setItem(storageKey, JSON.stringify({
            started: state.started, verdicts: state.verdicts, annotator: byId("annotator").value }));
        } catch (error) { /* storage unavailable */ }
      }

      function render() {
        const item = study.items[state.index];
        byId("picture").src = item.image;
        const explanation = byId("explanation");
        if (item.explanation) { explanation.src = item.explanation; explanation.hidden = false; }
        else { explanation.hidden = true; explanation.removeAttribute("src"); }
        byId("answer").textContent = item.answer;
        byId("probability").textContent = typeof item.probability === "number"
          ? "(" + (100 * item.probability).toFixed(1) + "%)" : "";
        byId("label-line").hidden = !study.showLabels;
        byId("label").textContent = item.label;
        byId("note").textContent = item.note || "";
        const verdict = state.verdicts[item.id];
        byId("current-verdict").textContent = verdict ? "Your verdict: " + verdict.verdict : "";
        for (const button of document.querySelectorAll("#verdict-buttons button")) {
          button.classList.toggle("chosen", !!verdict && button.dataset.verdict === verdict.verdict);
        }
        const judged = study.items.filter((entry) => state.verdicts[entry.id]).length;
        byId("progress").textContent = "Picture " + (state.index + 1) + " of " + study.items.length
          + " · " + judged + " judged";
      }

      function move(step) {
        state.index = Math.min(study.items.length - 1, Math.max(0, state.index + step));
        render();
      }

      function record(verdict) {
        const item = study.items[state.index];
        state.verdicts[item.id] = { verdict: verdict, time: new Date().toISOString() };
        save();
        // Go to the next picture without a verdict, if any (after the current one first).
        const count = study.items.length;
        for (let step = 1; step <= count; step++) {
          const next = (state.index + step) % count;
          if (!state.verdicts[study.items[next].id]) { state.index = next; break; }
        }
        render();
      }

      function verdictFile() {
        return {
          format: study.format,
          version: study.version,
          study: study.study,
          annotator: byId("annotator").value.trim(),
          population: study.population,
          started: state.started,
          saved: new Date().toISOString(),
          items: study.items.map((item) => ({
            id: item.id, answer: item.answer, label: item.label, mistake: item.mistake })),
          verdicts: study.items.filter((item) => state.verdicts[item.id]).map((item) => ({
            item: item.id, verdict: state.verdicts[item.id].verdict,
            time: state.verdicts[item.id].time })),
        };
      }

      function download() {
        const text = JSON.stringify(verdictFile(), null, 1);
        byId("verdicts-json").textContent = text;
        const blob = new Blob([text], { type: "application/json" });
        const link = byId("download-link");
        if (link.href) URL.revokeObjectURL(link.href);
        link.href = URL.createObjectURL(blob);
        const who = byId("annotator").value.trim().replace(/[^A-Za-z0-9_-]+/g, "_");
        link.download = "verdicts-" + study.study.replace(/[^A-Za-z0-9_-]+/g, "_")
          + (who ? "-" + who : "") + ".json";
        link.click();
      }

      for (const button of document.querySelectorAll("#verdict-buttons button")) {
        button.addEventListener("click", () => record(button.dataset.verdict));
      }
      byId("previous").addEventListener("click", () => move(-1));
      byId("next").addEventListener("click", () => move(1));
      byId("download").addEventListener("click", download);
      byId("annotator").addEventListener("input", save);
      const keys = { "1": "correct", "c": "correct", "2": "acceptable", "a": "acceptable",
        "3": "wrong", "w": "wrong" };
      document.addEventListener("keydown", (event) => {
        if (event.target && event.target.id === "annotator") return;
        if (event.ctrlKey || event.metaKey || event.altKey) return;
        const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
        if (keys[key]) { record(keys[key]); event.preventDefault(); }
        else if (key === "ArrowLeft") { move(-1); event.preventDefault(); }
        else if (key === "ArrowRight") { move(1); event.preventDefault(); }
      });

      load();
      render();

      if (autotest) {
        const steps = decodeURIComponent(location.hash.slice("#autotest=".length))
          .split(",").filter((step) => step.length > 0);
        for (const step of steps) {
          const colon = step.indexOf(":");
          const kind = step.slice(0, colon);
          const value = step.slice(colon + 1);
          if (kind === "key") {
            document.dispatchEvent(new KeyboardEvent("keydown", { key: value, bubbles: true }));
          } else if (kind === "click") {
            byId(value).click();
          } else if (kind === "name") {
            byId("annotator").value = value;
            byId("annotator").dispatchEvent(new Event("input", { bubbles: true }));
          }
        }
        byId("download").click();
        document.body.dataset.autotest = "done";
      }
    })();
    """#
}

/// Why a study page or verdict file cannot be written.
public enum HumanStudyError: Error, Equatable, Sendable, CustomStringConvertible {
  case unwritable(file: String, reason: String)

  public var description: String {
    switch self {
    case .unwritable(let file, let reason): return "\(file): cannot write the study: \(reason)"
    }
  }
}
