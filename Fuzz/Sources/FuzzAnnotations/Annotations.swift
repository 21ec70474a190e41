import BiasProbe

/// One fuzz input: the bytes as annotation CSV text (non-UTF-8 bytes are repaired, as
/// `String(decoding:)` does; `init(contentsOf:)` rejects them before parsing). A parsed file is
/// queried for every attribute of every image, as `AttributeBias` does.
func fuzzAnnotations(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let text = String(
    decoding: UnsafeBufferPointer(start: bytes, count: bytes == nil ? 0 : count), as: UTF8.self)
  do {
    let annotations = try AttributeAnnotations(csv: text, source: "fuzz.csv")
    precondition(annotations.values.count == annotations.imageIDs.count, "rows and ids disagree")
    for attribute in annotations.attributes {
      let values = try annotations.values(of: attribute, for: annotations.imageIDs)
      precondition(values.count == annotations.imageIDs.count, "lookup changed the count")
    }
  } catch is AttributeAnnotationError {
  } catch {
    fatalError("untyped error escaped AttributeAnnotations(csv:): \(error)")
  }
  return 0
}
