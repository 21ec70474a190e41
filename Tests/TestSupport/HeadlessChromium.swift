import Foundation
import XCTest

/// Debian's chromium run headless, for tests of generated HTML pages (the human-study page).
public enum HeadlessChromium {
  /// The chromium executable on `PATH` (or in /usr/bin), if any.
  public static func executable() -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let folders = path.split(separator: ":").map(String.init) + ["/usr/bin"]
    for folder in folders {
      for name in ["chromium", "chromium-browser"] {
        let candidate = URL(fileURLWithPath: folder).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      }
    }
    return nil
  }

  /// The executable, or an `XCTSkip` saying how to install it.
  public static func required() throws -> URL {
    guard let chromium = executable() else {
      throw XCTSkip(
        "chromium is not installed and could not be: Scripts/setup.sh installs it with "
          + "`apt-get install -y chromium` (Debian); this test needs a real browser.")
    }
    return chromium
  }

  /// Loads `url` (a file URL, fragment allowed) in a fresh profile under `profile`, lets its
  /// scripts run for up to `budgetMilliseconds` of virtual time, and returns the serialised DOM
  /// (`--dump-dom`). Stderr is discarded (chromium logs D-Bus complaints in containers); the
  /// browser is stopped after 120 s.
  public static func dumpDOM(
    of url: String, profile: URL, budgetMilliseconds: Int = 5000,
    file: StaticString = #filePath, line: UInt = #line
  ) throws -> String {
    let process = Process()
    process.executableURL = try required()
    process.arguments = [
      "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
      "--user-data-dir=\(profile.path)", "--virtual-time-budget=\(budgetMilliseconds)",
      "--dump-dom", url,
    ]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let timer = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: timer)
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    timer.cancel()
    XCTAssertEqual(
      process.terminationStatus, 0, "chromium exited with \(process.terminationStatus)",
      file: file, line: line)
    return String(decoding: data, as: UTF8.self)
  }

  /// The text between `<tag ... id="ID" ...>` and the next `</tag>` of serialised HTML.
  public static func element(_ tag: String, id: String, in html: String) -> String? {
    guard
      let open = html.range(of: "<\(tag)[^>]*id=\"\(id)\"[^>]*>", options: .regularExpression),
      let close = html.range(of: "</\(tag)>", range: open.upperBound..<html.endIndex)
    else { return nil }
    return String(html[open.upperBound..<close.lowerBound])
  }

  /// Text content as a browser serialises it: `&lt;`, `&gt;`, `&quot;`, `&#39;`, `&nbsp;` and
  /// `&amp;` back to characters.
  public static func unescaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
      .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
      .replacingOccurrences(of: "&nbsp;", with: "\u{A0}").replacingOccurrences(of: "&amp;", with: "&")
  }

  /// `steps` joined by commas as the `#autotest=` fragment of the study page, percent-encoded.
  public static func autotestFragment(_ steps: [String]) -> String {
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ":,-_."))
    return "#autotest="
      + (steps.joined(separator: ",").addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
  }
}
