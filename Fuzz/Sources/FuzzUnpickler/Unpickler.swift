@testable import Models
import Foundation
import FuzzSupport

/// One fuzz input: the bytes as one pickle for the restricted unpickler alone, with the
/// checkpoint allow-list; persistent ids become placeholders. Every container of the resulting
/// document is walked by index, so a dangling reference would trap.
func fuzzUnpickler(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = Fuzz.data(bytes, count)
  Fuzz.expectTypedErrors {
    let document = try Unpickler.load(
      data, at: 0, file: "fuzz.pkl", allowedGlobals: TorchCheckpoint.allowedGlobals,
      limits: Fuzz.weightLimits.pickle
    ) { _, _ in .persistent(0) }
    precondition(document.endOffset <= data.count, "STOP beyond the data")
    walk(document)
  }
  return 0
}

/// Visits every value reachable in `document`'s arenas and checks that each index is in range.
func walk(_ document: PickleDocument) {
  func check(_ value: PickleValue) {
    switch value {
    case .tuple(let i): precondition(document.tuples.indices.contains(i))
    case .list(let i): precondition(document.lists.indices.contains(i))
    case .dict(let i): precondition(document.dictionaries.indices.contains(i))
    case .object(let i): precondition(document.objects.indices.contains(i))
    default: break
    }
  }
  check(document.root)
  for tuple in document.tuples { tuple.forEach(check) }
  for list in document.lists { list.forEach(check) }
  for dictionary in document.dictionaries {
    dictionary.items.forEach { check($0.value) }
    if let state = dictionary.state { check(state) }
  }
  for object in document.objects {
    object.arguments.forEach(check)
    if let state = object.state { check(state) }
  }
}
