import BiasProbe
import FuzzSupport

/// One fuzz input: the bytes as a human-study verdict file (JSON). A decoded file's derived
/// views (`verdictsByItem`, `annotatorName`) are computed, as the study summary does.
func fuzzVerdicts(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = Fuzz.data(bytes, count)
  do {
    let verdicts = try HumanStudyVerdicts.decode(data, source: "fuzz.json")
    precondition(verdicts.verdictsByItem.count <= verdicts.items.count, "verdict for unknown item")
    precondition(verdicts.population >= verdicts.items.count, "population below item count")
    _ = verdicts.annotatorName
  } catch is HumanStudyVerdictsError {
  } catch {
    fatalError("untyped error escaped HumanStudyVerdicts.decode: \(error)")
  }
  return 0
}
