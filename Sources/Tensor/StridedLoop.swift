/// A walk over the elements of up to three strided operands of one shape (typically an output and
/// two inputs), arranged as few, long, innermost runs.
///
/// Construction drops axes of extent 1 and merges neighbouring axes that every operand walks with
/// one uniform stride (outer stride = inner stride × inner extent), so that, for example,
/// `[N, C, H, W] + [C, 1, 1]` becomes `N·C` runs of `H·W` elements with input strides 1 and 0.
/// Kernels then specialise their inner loop on the run strides, which lets the compiler vectorise
/// the common cases (all strides 1, or one operand broadcast with stride 0).
///
/// - Complexity: O(rank) to build; `forEachRun` costs O(1) amortised per run on top of `body`.
@usableFromInline
struct StridedLoop {
  /// The merged extents; never empty (a single element is one run of length 1).
  @usableFromInline let shape: [Int]
  @usableFromInline let strides0: [Int]
  @usableFromInline let strides1: [Int]
  @usableFromInline let strides2: [Int]
  /// Whether some extent is zero (no element at all).
  @usableFromInline let isEmpty: Bool

  /// A loop over `shape` with one stride list per operand (pass zeros for an unused operand).
  @usableFromInline
  init(shape: [Int], _ s0: [Int], _ s1: [Int], _ s2: [Int]) {
    precondition(
      s0.count == shape.count && s1.count == shape.count && s2.count == shape.count,
      "Every operand of a strided loop needs one stride per axis of \(shape).")
    var extents = [Int]()
    var a = [Int]()
    var b = [Int]()
    var c = [Int]()
    for axis in shape.indices where shape[axis] != 1 {
      let n = shape[axis]
      if let last = extents.indices.last, a[last] == s0[axis] * n, b[last] == s1[axis] * n,
        c[last] == s2[axis] * n
      {
        extents[last] *= n
        a[last] = s0[axis]
        b[last] = s1[axis]
        c[last] = s2[axis]
      } else {
        extents.append(n)
        a.append(s0[axis])
        b.append(s1[axis])
        c.append(s2[axis])
      }
    }
    if extents.isEmpty {
      extents = [1]
      a = [0]
      b = [0]
      c = [0]
    }
    self.shape = extents
    self.strides0 = a
    self.strides1 = b
    self.strides2 = c
    self.isEmpty = shape.contains(0)
  }

  /// The length of every run.
  @inlinable var innerCount: Int { shape[shape.count - 1] }
  /// The strides of the three operands inside a run.
  @inlinable var innerStrides: (Int, Int, Int) {
    let last = shape.count - 1
    return (strides0[last], strides1[last], strides2[last])
  }
  /// The number of runs.
  @inlinable var runCount: Int { isEmpty ? 0 : shape.dropLast().reduce(1, *) }

  /// Calls `body` with the index of the first element of every run in each operand, starting
  /// from the given base indices, in row-major order of the runs.
  @inlinable @inline(__always)
  func forEachRun(_ base0: Int, _ base1: Int, _ base2: Int, _ body: (Int, Int, Int) -> Void) {
    if isEmpty { return }
    let outer = shape.count - 1
    if outer == 0 {
      body(base0, base1, base2)
      return
    }
    var index = [Int](repeating: 0, count: outer)
    var p0 = base0
    var p1 = base1
    var p2 = base2
    while true {
      body(p0, p1, p2)
      var axis = outer - 1
      while axis >= 0 {
        index[axis] += 1
        p0 += strides0[axis]
        p1 += strides1[axis]
        p2 += strides2[axis]
        if index[axis] < shape[axis] { break }
        p0 -= strides0[axis] * shape[axis]
        p1 -= strides1[axis] * shape[axis]
        p2 -= strides2[axis] * shape[axis]
        index[axis] = 0
        axis -= 1
      }
      if axis < 0 { return }
    }
  }
}
