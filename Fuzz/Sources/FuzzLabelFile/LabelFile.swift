import BiasProbe
import Foundation

/// The class list every input is resolved against (the one of `LabelFileTests` plus a
/// numeric-looking name and a case-only twin): a shared name (ambiguous), spaces, and WordNet ids,
/// so that each branch of the label resolver is reachable.
let classNames = ["tench", "goldfish", "tiger cat", "crane", "crane", "7", "Tiger Cat"]
let classIDs = [
  "n01440764", "n01443537", "n02123159", "n02012849", "n03126707", "n00000007", "n01443537",
]
/// Never read: `parse` only joins names to it (it does not touch the disk).
let folder = URL(fileURLWithPath: "/nonexistent-fuzz-folder", isDirectory: true)

/// One fuzz input: the bytes as label-file text (non-UTF-8 bytes are repaired, as `String(decoding:)`
/// does; `LabelFile.read` rejects them before `parse`).
func fuzzLabelFile(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: bytes, count: bytes == nil ? 0 : count), as: UTF8.self)
  do {
    let images = try LabelFile.parse(
      text, source: "fuzz.csv", folder: folder, classNames: classNames, classIDs: classIDs)
    for image in images {
      precondition(classNames.indices.contains(image.trueClass), "class index out of range")
      precondition(!image.name.isEmpty, "empty image name accepted")
    }
    precondition(Set(images.map(\.name)).count == images.count, "duplicate image accepted")
  } catch is LabelFileError {
  } catch {
    fatalError("untyped error escaped LabelFile.parse: \(error)")
  }
  return 0
}
