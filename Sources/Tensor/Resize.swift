import Foundation

/// Bilinear resizing of images `[..., height, width]` (typically `[C, H, W]` or `[N, C, H, W]`),
/// with or without antialiasing, and its adjoint for back-propagating to pixel space.
///
/// Resizing is linear and separable: `Y = R_h · X · R_wᵀ` for every plane `X` (`[H, W]`), where
/// each row of the matrices `R_h` (`[outHeight, H]`) and `R_w` (`[outWidth, W]`) holds a few
/// non-zero weights. The weight tables are computed once, in `init`, and applied in two passes
/// (along the width, then along the height, like Pillow). The backward pass applies the
/// transposed tables: `X̄ = R_hᵀ · Ȳ · R_w`.
///
/// - Without antialiasing, the tables are those of PyTorch's
///   `F.interpolate(mode: "bilinear", align_corners: False)`: output index `o` samples the input at
///   `s = max((o + ½) · in/out − ½, 0)` with weights `1 − (s − ⌊s⌋)` and `s − ⌊s⌋` on `⌊s⌋` and
///   `⌊s⌋ + 1`, the latter clamped to the last pixel (half-pixel centres, clamped edges). When
///   downscaling by more than 2, pixels between the samples are skipped (aliasing).
/// - With antialiasing, the tables are those of Pillow's `Image.resize(BILINEAR)` and of
///   torchvision's `resize(antialias=True)`: with `scale = in/out` and `f = max(scale, 1)`,
///   output `o` has centre `c = (o + ½) · scale` and weights `tri((i + ½ − c) / f)` for the input
///   pixels `i` within `f` of the centre, normalised to sum to 1, where `tri(t) = max(1 − |t|, 0)`.
///   The filter widens with the downscale factor, so every input pixel contributes. When
///   upscaling (`f = 1`) this equals the plain bilinear tables.
///
/// ```swift
/// let resize = BilinearResize(from: (height: 375, width: 500), to: (height: 224, width: 224))
/// let small = resize(image)                      // [3, 224, 224]
/// let pixelGradient = resize.backward(gradient)  // [3, 375, 500]
/// ```
public struct BilinearResize: Sendable {
  /// The spatial size of the inputs.
  public let inputSize: (height: Int, width: Int)
  /// The spatial size of the outputs.
  public let outputSize: (height: Int, width: Int)
  /// Whether the filter widens when downscaling (Pillow / torchvision `antialias=True`).
  public let antialias: Bool
  let rows: ResamplingTable
  let columns: ResamplingTable

  /// Prepares the weight tables for resizing `inputSize` to `outputSize`.
  ///
  /// - Precondition: all four extents are positive.
  /// - Complexity: O((outHeight + outWidth) · taps), where `taps` is about `2·max(in/out, 1) + 1`.
  public init(
    from inputSize: (height: Int, width: Int), to outputSize: (height: Int, width: Int),
    antialias: Bool = true
  ) {
    precondition(
      inputSize.height > 0 && inputSize.width > 0 && outputSize.height > 0
        && outputSize.width > 0,
      "Cannot resize \(inputSize.height)×\(inputSize.width) to "
        + "\(outputSize.height)×\(outputSize.width): every extent must be positive.")
    self.inputSize = inputSize
    self.outputSize = outputSize
    self.antialias = antialias
    rows = ResamplingTable(from: inputSize.height, to: outputSize.height, antialias: antialias)
    columns = ResamplingTable(from: inputSize.width, to: outputSize.width, antialias: antialias)
  }

  /// Resizes `input` (`[..., inHeight, inWidth]`) to `[..., outHeight, outWidth]`.
  ///
  /// - Precondition: the last two extents of `input` are `inputSize`.
  /// - Complexity: O(planes · (inHeight · outWidth · tapsW + outHeight · outWidth · tapsH)).
  public func callAsFunction(_ input: Tensor) -> Tensor {
    checkSpatialShape(input, inputSize, "input")
    let planeShape = Array(input.shape.dropLast(2))
    let horizontal = columns.apply(input.contiguous(), planeShape, rowCount: inputSize.height)
    return rows.applyAlongHeight(horizontal, planeShape, width: outputSize.width)
  }

  /// The adjoint of `callAsFunction`: maps `∂L/∂output` (`[..., outHeight, outWidth]`) to
  /// `∂L/∂input` (`[..., inHeight, inWidth]`), `X̄ = R_hᵀ · Ȳ · R_w` for every plane.
  ///
  /// - Precondition: the last two extents of `outputGradient` are `outputSize`.
  /// - Complexity: the same as the forward pass.
  public func backward(_ outputGradient: Tensor) -> Tensor {
    checkSpatialShape(outputGradient, outputSize, "output gradient")
    let planeShape = Array(outputGradient.shape.dropLast(2))
    let vertical = rows.adjointAlongHeight(
      outputGradient.contiguous(), planeShape, width: outputSize.width)
    return columns.adjoint(vertical, planeShape, rowCount: inputSize.height)
  }

  private func checkSpatialShape(
    _ x: Tensor, _ size: (height: Int, width: Int), _ role: String
  ) {
    precondition(
      x.rank >= 2 && x.shape[x.rank - 2] == size.height && x.shape[x.rank - 1] == size.width,
      "The \(role) of a resize to \(outputSize.height)×\(outputSize.width) from "
        + "\(inputSize.height)×\(inputSize.width) must end in [\(size.height), \(size.width)], "
        + "not \(x.shape).")
  }
}

extension Tensor {
  /// This image (`[..., H, W]`) resized to `height × width` with bilinear interpolation,
  /// antialiased when downscaling unless `antialias` is false (see `BilinearResize`).
  ///
  /// - Complexity: see `BilinearResize.callAsFunction(_:)`.
  public func resized(height: Int, width: Int, antialias: Bool = true) -> Tensor {
    precondition(rank >= 2, "Cannot resize a tensor of rank \(rank); it needs [..., H, W].")
    let resize = BilinearResize(
      from: (shape[rank - 2], shape[rank - 1]), to: (height, width), antialias: antialias)
    return resize(self)
  }

  /// This image (`[..., H, W]`) resized so that its shorter side is `shorterSide`, keeping the
  /// aspect ratio (see `Tensor.sizeResizing(height:width:shorterSideTo:)`).
  ///
  /// - Complexity: see `BilinearResize.callAsFunction(_:)`.
  public func resized(shorterSide: Int, antialias: Bool = true) -> Tensor {
    precondition(rank >= 2, "Cannot resize a tensor of rank \(rank); it needs [..., H, W].")
    let size = Tensor.sizeResizing(
      height: shape[rank - 2], width: shape[rank - 1], shorterSideTo: shorterSide)
    return resized(height: size.height, width: size.width, antialias: antialias)
  }

  /// The size that gives an `height × width` image the shorter side `shorterSide`, as torchvision's
  /// `Resize(shorterSide)`: the longer side becomes `⌊shorterSide · long / short⌋` (a square stays
  /// square).
  ///
  /// - Precondition: all three extents are positive.
  public static func sizeResizing(height: Int, width: Int, shorterSideTo shorterSide: Int)
    -> (height: Int, width: Int)
  {
    precondition(
      height > 0 && width > 0 && shorterSide > 0,
      "Cannot resize \(height)×\(width) to a shorter side of \(shorterSide).")
    let short = Swift.min(height, width)
    let long = Swift.max(height, width)
    let newLong = Int(Double(shorterSide * long) / Double(short))
    return height <= width ? (shorterSide, newLong) : (newLong, shorterSide)
  }
}

/// The weights of a one-dimensional resampling: output `o` is
/// `Σ_{k < counts[o]} weights[o · width + k] · input[starts[o] + k]`.
struct ResamplingTable: Sendable {
  let inputSize: Int
  let outputSize: Int
  /// The first input index read by each output.
  let starts: [Int]
  /// How many consecutive inputs each output reads.
  let counts: [Int]
  /// `outputSize × width` weights, zero beyond each output's count.
  let weights: [Float]
  /// The largest count.
  let width: Int
  /// Whether the table is the identity (same size): the pass is skipped.
  let isIdentity: Bool

  init(from inputSize: Int, to outputSize: Int, antialias: Bool) {
    self.inputSize = inputSize
    self.outputSize = outputSize
    isIdentity = inputSize == outputSize
    let scale = Double(inputSize) / Double(outputSize)
    var starts = [Int]()
    var taps = [[Double]]()
    starts.reserveCapacity(outputSize)
    taps.reserveCapacity(outputSize)
    if antialias {
      let filterScale = Swift.max(scale, 1)
      let support = filterScale  // the triangle's support (1) times the filter scale
      for o in 0..<outputSize {
        let centre = (Double(o) + 0.5) * scale
        let first = Swift.max(Int((centre - support + 0.5).rounded(.down)), 0)
        let end = Swift.min(Int((centre + support + 0.5).rounded(.down)), inputSize)
        var w = (first..<end).map { i -> Double in
          let t = Swift.abs((Double(i) + 0.5 - centre) / filterScale)
          return t < 1 ? 1 - t : 0
        }
        let total = w.reduce(0, +)
        if total != 0 { w = w.map { $0 / total } }
        starts.append(first)
        taps.append(w)
      }
    } else {
      for o in 0..<outputSize {
        let source = Swift.max((Double(o) + 0.5) * scale - 0.5, 0)
        let lower = Swift.min(Int(source), inputSize - 1)
        let lambda = source - Double(lower)
        starts.append(lower)
        taps.append(lower < inputSize - 1 ? [1 - lambda, lambda] : [1])
      }
    }
    let width = taps.map(\.count).max() ?? 0
    var weights = [Float](repeating: 0, count: outputSize * width)
    for o in 0..<outputSize {
      for (k, w) in taps[o].enumerated() { weights[o * width + k] = Float(w) }
    }
    self.starts = starts
    self.counts = taps.map(\.count)
    self.weights = weights
    self.width = width
  }

  /// Calls `body` with unchecked views of the weights, starts and counts (one scope per pass).
  @inline(__always)
  func withTables<R>(
    _ body: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>) -> R
  ) -> R {
    weights.withUnsafeBufferPointer { w in
      starts.withUnsafeBufferPointer { s in
        counts.withUnsafeBufferPointer { c in body(w, s, c) }
      }
    }
  }

  /// Resamples the last axis of a dense `[planes..., rowCount, inputSize]` tensor.
  func apply(_ x: Tensor, _ planeShape: [Int], rowCount: Int) -> Tensor {
    if isIdentity { return x }
    let lineCount = planeShape.reduce(1, *) * rowCount
    return withExtendedLifetime(x) {
      let source = x.storage.pointer + x.offset
      return Tensor(shape: planeShape + [rowCount, outputSize]) { out in
        guard let target = out.baseAddress else { return }
        withTables { w, starts, counts in
          parallelLines(lineCount, work: outputSize * width) { line in
            let input = source + line * inputSize
            let output = target + line * outputSize
            for o in 0..<outputSize {
              let row = o * width
              var sum: Float = 0
              for k in 0..<counts[o] { sum += w[row + k] * input[starts[o] + k] }
              output[o] = sum
            }
          }
        }
      }
    }
  }

  /// The adjoint of `apply`: scatters a dense `[planes..., rowCount, outputSize]` tensor back to
  /// `[planes..., rowCount, inputSize]`.
  func adjoint(_ y: Tensor, _ planeShape: [Int], rowCount: Int) -> Tensor {
    if isIdentity { return y }
    let lineCount = planeShape.reduce(1, *) * rowCount
    return withExtendedLifetime(y) {
      let source = y.storage.pointer + y.offset
      return Tensor(shape: planeShape + [rowCount, inputSize]) { out in
        guard let target = out.baseAddress else { return }
        target.initialize(repeating: 0, count: out.count)
        withTables { w, starts, counts in
          parallelLines(lineCount, work: outputSize * width) { line in
            let gradient = source + line * outputSize
            let input = target + line * inputSize
            for o in 0..<outputSize {
              let row = o * width
              let g = gradient[o]
              for k in 0..<counts[o] { input[starts[o] + k] += w[row + k] * g }
            }
          }
        }
      }
    }
  }

  /// Resamples the second-to-last axis of a dense `[planes..., inputSize, width]` tensor: each
  /// output row is a weighted sum of whole input rows (a vectorisable `axpy`).
  func applyAlongHeight(_ x: Tensor, _ planeShape: [Int], width rowLength: Int) -> Tensor {
    if isIdentity { return x }
    let planes = planeShape.reduce(1, *)
    return withExtendedLifetime(x) {
      let source = x.storage.pointer + x.offset
      return Tensor(shape: planeShape + [outputSize, rowLength]) { out in
        guard let target = out.baseAddress else { return }
        withTables { w, starts, counts in
          parallelLines(planes * outputSize, work: rowLength * width) { line in
            let (plane, o) = line.quotientAndRemainder(dividingBy: outputSize)
            let output = target + line * rowLength
            output.initialize(repeating: 0, count: rowLength)
            for k in 0..<counts[o] {
              let weight = w[o * width + k]
              let input = source + (plane * inputSize + starts[o] + k) * rowLength
              for j in 0..<rowLength { output[j] += weight * input[j] }
            }
          }
        }
      }
    }
  }

  /// The adjoint of `applyAlongHeight`: `[planes..., outputSize, width]` back to
  /// `[planes..., inputSize, width]`.
  func adjointAlongHeight(_ y: Tensor, _ planeShape: [Int], width rowLength: Int) -> Tensor {
    if isIdentity { return y }
    let planes = planeShape.reduce(1, *)
    return withExtendedLifetime(y) {
      let source = y.storage.pointer + y.offset
      return Tensor(shape: planeShape + [inputSize, rowLength]) { out in
        guard let target = out.baseAddress else { return }
        target.initialize(repeating: 0, count: out.count)
        withTables { w, starts, counts in
          // Output rows of one plane scatter into overlapping input rows: split by plane only.
          parallelLines(planes, work: outputSize * rowLength * width) { plane in
            for o in 0..<outputSize {
              let gradient = source + (plane * outputSize + o) * rowLength
              for k in 0..<counts[o] {
                let weight = w[o * width + k]
                let input = target + (plane * inputSize + starts[o] + k) * rowLength
                for j in 0..<rowLength { input[j] += weight * gradient[j] }
              }
            }
          }
        }
      }
    }
  }
}

/// Runs `body(line)` for `line` in `0..<lineCount`, in parallel when the total work (about
/// `lineCount · work` multiply-adds) is worth splitting. Lines must write disjoint memory.
@inline(__always)
private func parallelLines(_ lineCount: Int, work: Int, _ body: (Int) -> Void) {
  if lineCount * work < 1 << 17 || ComputeThreads.count == 1 {
    for line in 0..<lineCount { body(line) }
  } else {
    ComputeThreads.parallelFor(lineCount, body)
  }
}
