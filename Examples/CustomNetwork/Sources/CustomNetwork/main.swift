// An application of the library: define a network, save and load its weights, classify a
// photograph with it and with the bundled pretrained EfficientNet-Lite0, and take a gradient.
//
// Usage: swift run CustomNetwork [ASSETS_FOLDER]   (default: ../../Assets)
import Foundation
import Imaging
import Models
import Tensor

let assets = URL(
  fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "../../Assets")
let photoURL = assets.appendingPathComponent("images/coffee.png")

do {
  // 1. A network of our own, seeded, saved as safetensors and loaded back with every key and
  //    shape checked.
  var rng = SeededGenerator(seed: 7)
  let tiny = TinyNet(classCount: 3, using: &rng)
  let weightsURL = FileManager.default.temporaryDirectory.appendingPathComponent("tinynet.safetensors")
  try tiny.save(to: weightsURL)
  var reloaded = TinyNet(classCount: 3, using: &rng)  // different random weights ...
  try reloaded.load(contentsOf: weightsURL)          // ... replaced by the saved ones
  let classifier = Classifier(
    network: reloaded, normalization: .imageNet, preprocessing: .imageNet,
    classNames: ["red", "green", "blue"])

  // 2. A photograph, preprocessed by the classifier's own transform.
  let photo = try ImageFile.decode(contentsOf: photoURL)
  let input = try classifier.preprocessing(photo).expandingShape(at: 0)  // [1, 3, 224, 224]
  let logits = classifier.logits(input)
  let same = logits == tiny(Normalization.imageNet(input))
  print("TinyNet (untrained, \(tiny.trainableParameterCount) parameters) reloaded identically: \(same)")
  for p in classifier.topPredictions(logits: logits, k: 3)[0] {
    print(String(format: "  %-6@ %.3f", p.label, p.probability))
  }

  // 3. A gradient in pixel space through our network (what saliency maps are made of).
  let target = classifier.topPredictions(logits: logits, k: 1)[0][0].index
  var seed = Tensor(zeros: [1, 3])
  seed[0, target] = 1
  let gradient = classifier.inputGradient(input, logitWeights: seed)
  print("Gradient of the top logit: shape \(gradient.shape), max |g| \(abs(gradient).maximum())")

  // 4. The library's pretrained EfficientNet-Lite0 on the same photograph.
  let lite0 = try Classifier.efficientNetLite0(
    weights: assets.appendingPathComponent("models/efficientnet-lite0.pth"),
    labels: assets.appendingPathComponent("labels/imagenet_classes.txt"))
  let liteInput = try lite0.preprocessing(photo).expandingShape(at: 0)
  let best = lite0.topPredictions(logits: lite0.logits(liteInput), k: 1)[0][0]
  print(String(format: "EfficientNet-Lite0: %@ (%d) %.3f", best.label, best.index, best.probability))
  guard same, best.index == 967 else {
    print("Unexpected result.")
    exit(1)
  }
} catch {
  FileHandle.standardError.write(Data("CustomNetwork: \(error)\n".utf8))
  exit(1)
}
