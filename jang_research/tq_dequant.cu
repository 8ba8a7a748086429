// Dequantization of packed codes for prompts (jang_research/turboquant.py reads this file): a layer called with more rows than
// the decode kernel takes writes its weight in the activation dtype with this kernel, then multiplies with MLX's matmul.
// TurboQuant codes (AFFINE == 0: w = codebook[q] * scale, one scale a row or a group) and MLX affine codes (AFFINE == 1:
// w = scale * q + bias, the layout of mx.quantize), each a little-endian bit stream per row.
// Everything above the line `// @kernel-body` is the kernel's header; everything below it is the body MLX wraps into a
// __global__ function with inputs codes, scales, aux (the codebook, or the biases), output w and template constants
// AFFINE, BITS, IN, ROWS, NG, GS, OutT.
constexpr int tqd_gcd(int a, int b) { return b == 0 ? a : tqd_gcd(b, a % b); }
// @kernel-body
    // One thread a "period": the smallest run of whole words holding whole codes (1/2/4/8 bits: one word; 3 bits: 32 codes
    // in 3 words; 5 and 6 bits: 32 and 16 codes in 5 and 3 words). Consecutive threads take consecutive periods of a row, so
    // a warp reads its codes and writes its weights in contiguous runs; a thread writes its period's values with 16-byte stores
    // where they fill them.
    constexpr int G = tqd_gcd(32, BITS);
    constexpr int CPP = 32 / G;               // codes per period
    constexpr int WPP = BITS / G;             // words per period
    constexpr int NP = IN / CPP;              // periods per row
    constexpr int WORDS = IN * BITS / 32;
    constexpr unsigned MASK = (1u << BITS) - 1u;
    constexpr bool ONE_GROUP = (GS % CPP) == 0;   // a period lies in one group: its scale (and bias) is read once
    __shared__ float lv[AFFINE ? 1 : (1 << BITS)];
    if (!AFFINE) {
        for (int i = threadIdx.x; i < (1 << BITS); i += blockDim.x) lv[i] = static_cast<float>(aux[i]);
        __syncthreads();
    }
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)ROWS * NP) return;
    const size_t row = t / NP;
    const int period = (int)(t % NP);
    const int col0 = period * CPP;
    const uint32_t* src = codes + row * WORDS + period * WPP;
    uint32_t wd[WPP + 1];
    #pragma unroll
    for (int k = 0; k < WPP; ++k) wd[k] = src[k];
    wd[WPP] = 0u;
    float s = 1.f, b = 0.f;
    if constexpr (ONE_GROUP) {
        const size_t gi = row * NG + col0 / GS;
        s = static_cast<float>(scales[gi]);
        if constexpr (AFFINE) b = static_cast<float>(aux[gi]);
    }
    alignas(16) OutT vals[CPP];
    #pragma unroll
    for (int j = 0; j < CPP; ++j) {
        const int bit = j * BITS, wi = bit >> 5, off = bit & 31;
        const unsigned v = ((off + BITS > 32) ? __funnelshift_r(wd[wi], wd[wi + 1], off) : (wd[wi] >> off)) & MASK;
        if constexpr (!ONE_GROUP) {
            const size_t gi = row * NG + (col0 + j) / GS;
            s = static_cast<float>(scales[gi]);
            if constexpr (AFFINE) b = static_cast<float>(aux[gi]);
        }
        vals[j] = static_cast<OutT>(AFFINE ? fmaf(s, static_cast<float>(v), b) : lv[v] * s);
    }
    OutT* dst = w + row * IN + col0;
    if constexpr ((CPP * sizeof(OutT)) % 16 == 0) {
        #pragma unroll
        for (int k = 0; k < (int)(CPP * sizeof(OutT) / 16); ++k) reinterpret_cast<uint4*>(dst)[k] = reinterpret_cast<const uint4*>(vals)[k];
    } else {
        #pragma unroll
        for (int j = 0; j < CPP; ++j) dst[j] = vals[j];
    }
