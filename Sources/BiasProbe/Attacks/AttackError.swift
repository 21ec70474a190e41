/// Why an attack cannot run on the given data or parameters.
public enum AttackError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The images are not `[N, 3, H, W]` at the classifier's input size.
  case wrongImageShape(expected: [Int], found: [Int])
  /// The images hold NaN or infinite values.
  case nonFiniteInput(count: Int)
  /// Some pixels lie outside [0, 1], the attacks' pixel space.
  case pixelsOutOfRange(minimum: Float, maximum: Float)
  /// There is not one label (or one target) per image.
  case countMismatch(what: String, images: Int, found: Int)
  /// A label or target is not a class of the classifier.
  case classOutOfRange(what: String, value: Int, classCount: Int)
  /// The budget ε is not in its valid range for the norm.
  case epsilonOutOfRange(epsilon: Float, norm: AttackNorm, maximum: Float)
  /// Another parameter (step size, steps, overshoot, candidates, batch size) is invalid.
  case invalidParameter(name: String, value: String, requirement: String)
  /// The attack has no targeted form (DeepFool is an untargeted minimal-perturbation attack).
  case targetNotSupported(attack: String)

  public var description: String {
    switch self {
    case .wrongImageShape(let expected, let found):
      return "Images must have shape \(expected), not \(found)."
    case .nonFiniteInput(let count):
      return "The images hold \(count) NaN or infinite values."
    case .pixelsOutOfRange(let minimum, let maximum):
      return "Pixels must lie in [0, 1]; these range from \(minimum) to \(maximum)."
    case .countMismatch(let what, let images, let found):
      return "There are \(images) images but \(found) \(what)."
    case .classOutOfRange(let what, let value, let classCount):
      return "The \(what) \(value) is not a class index in 0..<\(classCount)."
    case .epsilonOutOfRange(let epsilon, let norm, let maximum):
      return "epsilon must be in (0, \(maximum)] for the \(norm.rawValue) norm, not \(epsilon)."
    case .invalidParameter(let name, let value, let requirement):
      return "\(name) must be \(requirement), not \(value)."
    case .targetNotSupported(let attack):
      return "\(attack) has no targeted form; use .untargeted."
    }
  }
}
