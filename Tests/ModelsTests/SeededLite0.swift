import Models
import Tensor

/// Lite0 with seeded weights and batch norms that are not the identity (γ in [0.5, 1.5], β and
/// the running mean in [−0.2, 0.2], the running variance in [0.5, 2]), so that every folded
/// scale, shift and clamp matters: the network the blocked-path tests compare against the planar
/// path.
func seededLite0(seed: UInt64, classCount: Int = 10) -> EfficientNetLite {
  var rng = SeededGenerator(seed: seed)
  var network = EfficientNetLite.lite0(classCount: classCount, using: &rng)
  network.updateParameters { name, _, value in
    guard name.contains("._bn") || name.hasPrefix("_bn") else { return }
    let (low, high): (Float, Float) =
      name.hasSuffix("running_var") ? (0.5, 2) : name.hasSuffix("weight") ? (0.5, 1.5) : (-0.2, 0.2)
    value = Tensor.uniform(value.shape, low: low, high: high, using: &rng)
  }
  return network
}
