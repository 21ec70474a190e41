import ArgumentParser
import Foundation
import Imaging
import Tensor

/// `demo images FILE...`: decodes each photograph and prints its size, format and mean colour.
///
/// A file that cannot be decoded gets a one-line error on stderr; the other files still run and
/// the exit status is 1 if any failed.
struct Images: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Decode PNG / JPEG photographs and print their sizes.")

  @Argument(help: "PNG or JPEG files.", completion: .file())
  var files: [String]

  @Flag(help: "Print one JSON object per file instead of a table.")
  var json = false

  func run() throws {
    var failures = 0
    if !json {
      print(pad("file", 28) + pad("format", 8) + pad("width", 7) + pad("height", 7)
        + pad("colour", 12) + pad("mean RGB", 22) + "decode ms")
    }
    for path in files {
      let url = URL(fileURLWithPath: path)
      do {
        let info = try ImageFile.info(contentsOf: url)
        let start = DispatchTime.now().uptimeNanoseconds
        let image = try ImageFile.decode(contentsOf: url)
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        let means = channelMeans(image)
        if json {
          let object: [String: Any] = [
            "file": path, "format": info.format.rawValue, "width": info.width,
            "height": info.height, "colour": info.colorModel.rawValue, "bitDepth": info.bitDepth,
            "shape": image.shape, "mean": means.map { Double($0) },
          ]
          let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
          print(String(decoding: data, as: UTF8.self))
        } else {
          let meanText = means.map { String(format: "%.3f", $0) }.joined(separator: " ")
          print(pad(url.lastPathComponent, 28) + pad(info.format.rawValue, 8)
            + pad("\(info.width)", 7) + pad("\(info.height)", 7)
            + pad("\(info.colorModel.rawValue) \(info.bitDepth)", 12) + pad(meanText, 22)
            + String(format: "%.1f", milliseconds))
        }
      } catch {
        failures += 1
        FileHandle.standardError.write(Data("demo: \(error)\n".utf8))
      }
    }
    if failures > 0 { throw ExitCode(1) }
  }

  private func channelMeans(_ image: Tensor) -> [Float] {
    let channels = image.shape[0]
    let plane = image.count / max(channels, 1)
    return image.withUnsafeBufferPointer { pixels in
      (0..<channels).map { c in
        var sum: Double = 0
        for i in 0..<plane { sum += Double(pixels[c * plane + i]) }
        return Float(sum / Double(max(plane, 1)))
      }
    }
  }

  private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
  }
}
