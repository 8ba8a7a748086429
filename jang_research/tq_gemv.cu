// Decode GEMV for MLX's mx.fast.cuda_kernel over packed codes (jang_research/turboquant.py reads this file): TurboQuant
// codebook codes (AFFINE == 0: w = codebook[q] * scale) and MLX affine codes (AFFINE == 1: w = scale * q + bias, the
// layout of mx.quantize: a little-endian bit stream per row, one scale and bias per group).
// Everything above the line `// @kernel-body` is the kernel's header (helpers); everything below it is the
// body MLX wraps into a __global__ function with inputs x, experts, codes, scales, aux (the codebook, or the biases)
// and output y, and template constants AFFINE, BITS, IN, OUT, NG, GS, RPW, E, OutT.
// Fusions for a decoder block's decode step (turboquant.config_gemv_kernel defines these macros in the header; undefined: 0):
//   JANG_NORM    the input is RMS-normalised first: x * gamma * rsqrt(mean(x^2) + JANG_EPS), input gamma (the norm's weight)
//   JANG_RES     a residual is added to the output: y = W x + res, input res shaped as y
//   JANG_SWIGLU  rows come in pairs (gate row, up row) and y holds silu(gate) * up: OUT / 2 outputs a row of x
//   JANG_PAIR    (TurboQuant) two layers of one shape in one call, their activation rows alternating: row 2i by codes/scales,
//                row 2i + 1 by inputs codes2/scales2 (an MLP's gate and up, each with its own rotated input), expert experts[i]
constexpr int tq_gcd(int a, int b) { return b == 0 ? a : tq_gcd(b, a % b); }
// eight consecutive activations as floats, with one or two 16-byte loads
__device__ inline void tq_load8(const float* p, float* o) {
    float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
    o[0] = a.x; o[1] = a.y; o[2] = a.z; o[3] = a.w; o[4] = b.x; o[5] = b.y; o[6] = b.z; o[7] = b.w;
}
__device__ inline void tq_load8(const __half* p, float* o) {
    uint4 v = *reinterpret_cast<const uint4*>(p); const __half2* h = reinterpret_cast<const __half2*>(&v);
    #pragma unroll
    for (int k = 0; k < 4; ++k) { float2 f = __half22float2(h[k]); o[2 * k] = f.x; o[2 * k + 1] = f.y; }
}
__device__ inline void tq_load8(const __nv_bfloat16* p, float* o) {
    uint4 v = *reinterpret_cast<const uint4*>(p); const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&v);
    #pragma unroll
    for (int k = 0; k < 4; ++k) { float2 f = __bfloat1622float2(h[k]); o[2 * k] = f.x; o[2 * k + 1] = f.y; }
}
// (a & MASK) | c in one logic instruction: c comes in a register, as two immediates do not fit one LOP3 and the compiler
// would otherwise emit an AND and an OR
template <unsigned MASK> __device__ inline unsigned tq_and_or(unsigned a, unsigned c) {
    unsigned r;
    asm("lop3.b32 %0, %1, %2, %3, 0xEA;" : "=r"(r) : "r"(a), "n"(MASK), "r"(c));
    return r;
}
// @kernel-body
    // Each warp computes RPW output rows for one activation row. A row's codes are a little-endian bit stream; a
    // "period" is the smallest run of whole words holding whole codes (1/2/4 bits: one word; 3 bits: 32 codes in 3
    // words). A lane takes UP periods per step with 16-byte loads (a warp reads 512 contiguous bytes of a row per
    // step). Decode GEMV is latency-bound at these sizes, so every code word of a chunk of steps and the row scales
    // are requested before any arithmetic, and a dense layer (E == 1) skips the expert-index load.
    constexpr int G = tq_gcd(32, BITS);
    constexpr int CPP = 32 / G;               // codes per period: 32, 16, 32, 8 for 1..4 bits
    constexpr int WPP = BITS / G;             // words per period
    constexpr int NP = IN / CPP;              // periods per row
    constexpr int WORDS = IN * BITS / 32;
    constexpr bool VEC = (WORDS % 4 == 0) && (NP % 4 == 0);
    constexpr int UP = VEC ? 4 : 1;           // periods per lane step
    constexpr int UW = UP * WPP;              // words per lane step
    constexpr int NU = NP / UP;
    constexpr int STEPS = (NU + 31) / 32;     // lane steps per row (the last may be partial)
    // SUB periods lie in one group (all sizes are powers of two): their products are summed before one scale multiply
    constexpr int SUB = (UP * CPP <= GS) ? UP : ((UP % 2 == 0 && 2 * CPP <= GS) ? 2 : 1);
    constexpr int NS = UP / SUB;              // scaled sums per lane step and row
    constexpr int SPS = AFFINE ? 2 * NS : ((NG == 1) ? 0 : NS);   // scale (and bias) registers per lane step and row
    constexpr int CHR = 192 / (RPW * (UW + SPS)) < 1 ? 1 : 192 / (RPW * (UW + SPS));   // at most ~192 registers of loads in flight
    constexpr int CHW = CHR < 8 ? CHR : 8;
    constexpr int CH = STEPS < CHW ? STEPS : CHW; // steps whose words are loaded together
    constexpr unsigned MASK = (1u << BITS) - 1u;
    // Affine: code v becomes the float 1 + v / 2^BITS by moving its bits to the top of the mantissa of 1.0f (a shift and
    // one logic op; an int-to-float conversion issues at a quarter of the FMA rate and bounded the kernel). The extra
    // 1 · x of every code is taken back by starting each product sum at -sum(x), a sum the bias term needs anyway.
    const unsigned one = 0x3f800000u;          // 1.0f
    constexpr int TOP = 23 - BITS;            // mantissa bit where a code's lowest bit goes
    __shared__ float lv[AFFINE ? 1 : (1 << BITS)];
    int tid = threadIdx.x;
    if (!AFFINE && tid < (1 << BITS)) lv[tid] = static_cast<float>(aux[tid]);
    int lane = tid & 31;
    int row0 = (blockIdx.x * (blockDim.x >> 5) + (tid >> 5)) * RPW;
    int p = blockIdx.y;
#if JANG_PAIR
    static_assert(!AFFINE, "JANG_PAIR shares the codebook (aux) of TurboQuant codes");
    int e = (E == 1) ? 0 : experts[p >> 1];
    const uint32_t* cbase = (p & 1) ? codes2 : codes;
    const auto* sbase = (p & 1) ? scales2 : scales;
#else
    int e = (E == 1) ? 0 : experts[p];
    const uint32_t* cbase = codes;
    const auto* sbase = scales;
#endif
    const auto* xp = x + (size_t)p * IN;
    const uint32_t* rw[RPW];
    size_t rg[RPW];                           // index of the row's first group in scales (and, affine, in the biases)
    float acc[RPW], srow[RPW];
    #pragma unroll
    for (int r = 0; r < RPW; ++r) {
        int row = min(row0 + r, OUT - 1);     // a short last warp recomputes the final row and does not store it
        rw[r] = cbase + ((size_t)e * OUT + row) * WORDS; acc[r] = 0.f;
        rg[r] = ((size_t)e * OUT + row) * NG;
        srow[r] = (!AFFINE && NG == 1) ? static_cast<float>(sbase[rg[r]]) : 0.f;
    }
#if JANG_NORM
    float ssq = 0.f;                          // this lane's share of sum(x^2): the warp reads all of x
#endif
    __syncthreads();
    if (row0 >= OUT) return;
    #pragma unroll
    for (int c0 = 0; c0 < STEPS; c0 += CH) {
        uint32_t w[CH][RPW][UW];
        float sc[CH][RPW][SPS > 0 ? SPS : 1];  // per scaled sum: the scale (affine: times 2^BITS) and, affine, the bias
        #pragma unroll
        for (int c = 0; c < CH; ++c) {
            const int u = (c0 + c) * 32 + lane;
            #pragma unroll
            for (int r = 0; r < RPW; ++r) {
                if (c0 + c >= STEPS || u >= NU) { 
                    #pragma unroll
                    for (int k = 0; k < UW; ++k) w[c][r][k] = 0u;
                    continue;
                }
                if constexpr (VEC) {
                    const uint4* src = reinterpret_cast<const uint4*>(rw[r] + u * UW);
                    #pragma unroll
                    for (int k = 0; k < UW / 4; ++k) { uint4 v = src[k]; w[c][r][4*k] = v.x; w[c][r][4*k+1] = v.y; w[c][r][4*k+2] = v.z; w[c][r][4*k+3] = v.w; }
                } else {
                    #pragma unroll
                    for (int k = 0; k < UW; ++k) w[c][r][k] = rw[r][u * UW + k];
                }
                #pragma unroll
                for (int s = 0; s < NS; ++s) {
                    const size_t gi = rg[r] + (size_t)(u * UP + s * SUB) * CPP / GS;
                    if constexpr (AFFINE) {
                        sc[c][r][2 * s] = static_cast<float>(sbase[gi]) * static_cast<float>(1 << BITS);
                        sc[c][r][2 * s + 1] = static_cast<float>(aux[gi]);
                    } else if constexpr (NG > 1) sc[c][r][s] = static_cast<float>(sbase[gi]);
                }
            }
        }
        #pragma unroll
        for (int c = 0; c < CH; ++c) {
            const int u = (c0 + c) * 32 + lane;
            if (c0 + c >= STEPS || u >= NU) break;
            #pragma unroll
            for (int s = 0; s < NS; ++s) {
                float part[RPW], sxs = 0.f;       // affine: the bias term of SUB periods is bias * sum(x), one sum for all rows
                #pragma unroll
                for (int r = 0; r < RPW; ++r) part[r] = 0.f;
                #pragma unroll
                for (int qs = 0; qs < SUB; ++qs) {
                    const int q = s * SUB + qs;
                    const int base = (u * UP + q) * CPP;
                    float xv[CPP];
                    if constexpr (CPP >= 8) {
                        #pragma unroll
                        for (int j8 = 0; j8 < CPP; j8 += 8) tq_load8(xp + base + j8, xv + j8);
                    } else {                      // 8-bit codes: four to a period
                        #pragma unroll
                        for (int j = 0; j < CPP; ++j) xv[j] = static_cast<float>(xp[base + j]);
                    }
#if JANG_NORM
                    {                             // every product is linear in x * gamma; the row's rsqrt scales the sums at the end
                        float gv[CPP];
                        if constexpr (CPP >= 8) {
                            #pragma unroll
                            for (int j8 = 0; j8 < CPP; j8 += 8) tq_load8(gamma + base + j8, gv + j8);
                        } else {
                            #pragma unroll
                            for (int j = 0; j < CPP; ++j) gv[j] = static_cast<float>(gamma[base + j]);
                        }
                        #pragma unroll
                        for (int j = 0; j < CPP; ++j) { ssq = fmaf(xv[j], xv[j], ssq); xv[j] *= gv[j]; }
                    }
#endif
                    float sx = 0.f;
                    if constexpr (AFFINE) {
                        #pragma unroll
                        for (int j = 0; j < CPP; ++j) sx += xv[j];
                        sxs += sx;
                    }
                    #pragma unroll
                    for (int r = 0; r < RPW; ++r) {
                        float p0 = AFFINE ? -sx : 0.f, p1 = 0.f;   // two chains: the adds of a period do not wait on each other
                        #pragma unroll
                        for (int j = 0; j < CPP; ++j) {
                            const int bit = j * BITS, wi = q * WPP + (bit >> 5), off = bit & 31;
                            float level;
                            if constexpr (AFFINE) {       // the code moved to mantissa bit TOP (a funnel shift when it straddles two words)
                                const unsigned t = (off + BITS > 32) ? __funnelshift_r(w[c][r][wi], w[c][r][wi + 1], off - TOP)
                                                 : (off <= TOP ? w[c][r][wi] * (1u << (TOP - off)) : w[c][r][wi] >> (off - TOP));   // a product issues on the FMA pipe, a shift on the busier ALU
                                level = __uint_as_float(tq_and_or<(MASK << TOP)>(t, one));
                            } else {
                                const unsigned v = (off + BITS > 32) ? __funnelshift_r(w[c][r][wi], w[c][r][wi + 1], off) : w[c][r][wi] >> off;
                                level = lv[v & MASK];
                            }
                            if (j & 1) p1 = fmaf(level, xv[j], p1); else p0 = fmaf(level, xv[j], p0);
                        }
                        part[r] += p0 + p1;
                    }
                }
                #pragma unroll
                for (int r = 0; r < RPW; ++r) {
                    if constexpr (AFFINE) acc[r] = fmaf(part[r], sc[c][r][2 * s], fmaf(sxs, sc[c][r][2 * s + 1], acc[r]));
                    else if constexpr (NG == 1) acc[r] += part[r];
                    else acc[r] = fmaf(part[r], sc[c][r][s], acc[r]);
                }
            }
        }
    }
    float rs = 1.f;
#if JANG_NORM
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) ssq += __shfl_xor_sync(0xffffffff, ssq, o);
    rs = rsqrtf(ssq / IN + JANG_EPS);
#endif
    #pragma unroll
    for (int r = 0; r < RPW; ++r) {
        float a = acc[r];
        #pragma unroll
        for (int o = 16; o > 0; o >>= 1) a += __shfl_down_sync(0xffffffff, a, o);
        acc[r] = ((!AFFINE && NG == 1) ? a * srow[r] : a) * rs;   // lane 0 holds the rows' products
    }
    if (lane != 0) return;
#if JANG_SWIGLU
    static_assert(RPW % 2 == 0, "JANG_SWIGLU takes rows in (gate, up) pairs");
    #pragma unroll
    for (int r = 0; r < RPW; r += 2)
        if (row0 + r < OUT) y[(size_t)p * (OUT / 2) + (row0 + r) / 2] = static_cast<OutT>(acc[r] / (1.f + __expf(-acc[r])) * acc[r + 1]);
#else
    #pragma unroll
    for (int r = 0; r < RPW; ++r) {
        if (row0 + r >= OUT) break;
        float v = acc[r];
#if JANG_RES
        v += static_cast<float>(res[(size_t)p * OUT + row0 + r]);
#endif
        y[(size_t)p * OUT + row0 + r] = static_cast<OutT>(v);
    }
#endif
