// Decode GEMV on tensor cores for MLX's mx.fast.cuda_kernel (jang_research/turboquant.py reads this file), bf16 or fp16
// activations: MLX affine codes (AFFINE == 1: w = scale * q + bias, mx.quantize's layout; 2-8 bits, groups of 32, 64 or 128)
// and TurboQuant codebook codes (AFFINE == 0: w = codebook[q] * scale; 1-4 bits, one scale a row or groups of 32 or 64).
// Why tensor cores for a matrix-vector product: the CUDA-core kernel (tq_gemv.cu) spends about five instructions on every
// weight (unpack, convert, multiply-add, and its share of the activation's) and so runs out of issue slots before it runs out
// of memory bandwidth. Here a code becomes a 16-bit float by OR-ing it into the mantissa of 128.0 (bf16; 1024.0 for fp16): one
// logic op for two codes, no conversion, and one mma.m16n8k16 multiplies 16 rows by 16 inputs: about one and a half
// instructions a weight for 4-bit codes. The magic 128 of every code is taken back once per group: sum(q x) = D - 128 sum(x).
// TurboQuant codes look their levels up two at a time: a table in shared memory holds both 16-bit levels of every pair of
// adjacent codes (2^(2 bits) entries), so a pair costs a shift, a mask and one shared-memory load.
// Everything above the line `// @kernel-body` is the kernel's header; below it the body MLX wraps into a __global__ function
// with inputs x, experts, codes, scales, aux (the biases, or the codebook) [, gamma] [, res] [, codes2, scales2] and output y,
// constants AFFINE, BITS, IN, OUT, NG, GS, E, OutT (x's and y's type), WARPS (warps a block), MT (16-row tiles a block), and
// macros JANG_NORM, JANG_RES, JANG_SWIGLU, JANG_PAIR as in tq_gemv.cu.
__device__ inline void jang_mma(float* d, const uint32_t* a, const uint32_t* b, const float* c, __nv_bfloat16) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};"
                 : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
}
__device__ inline void jang_mma(float* d, const uint32_t* a, const uint32_t* b, const float* c, __half) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};"
                 : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
}
// the 16-bit float whose low mantissa bits are a code: 128 + q (bf16, 7 mantissa bits) or 1024 + q (fp16, 10), twice a word
__device__ inline uint32_t jang_magic(__nv_bfloat16) { return 0x43004300u; }
__device__ inline uint32_t jang_magic(__half) { return 0x64006400u; }
__device__ inline float jang_offset(__nv_bfloat16) { return 128.f; }
__device__ inline float jang_offset(__half) { return 1024.f; }
__device__ inline uint32_t jang_ones(__nv_bfloat16) { return 0x3f803f80u; }
__device__ inline uint32_t jang_ones(__half) { return 0x3c003c00u; }
// two floats as a pair of 16-bit floats, a in the low half
__device__ inline uint32_t jang_pack2(float a, float b, __nv_bfloat16) {
    __nv_bfloat162 r = __floats2bfloat162_rn(a, b);
    return *reinterpret_cast<uint32_t*>(&r);
}
__device__ inline uint32_t jang_pack2(float a, float b, __half) {
    __half2 r = __floats2half2_rn(a, b);
    return *reinterpret_cast<uint32_t*>(&r);
}
// the product of two pairs of 16-bit floats, rounded once (x * gamma of the input norm)
__device__ inline uint32_t jang_mul2(uint32_t a, uint32_t b, __nv_bfloat16) {
    __nv_bfloat162 r = __hmul2(*reinterpret_cast<__nv_bfloat162*>(&a), *reinterpret_cast<__nv_bfloat162*>(&b));
    return *reinterpret_cast<uint32_t*>(&r);
}
__device__ inline uint32_t jang_mul2(uint32_t a, uint32_t b, __half) {
    __half2 r = __hmul2(*reinterpret_cast<__half2*>(&a), *reinterpret_cast<__half2*>(&b));
    return *reinterpret_cast<uint32_t*>(&r);
}
// (a & MASK) | c in one logic instruction (c in a register: two immediates do not fit one LOP3)
template <unsigned MASK> __device__ inline uint32_t jang_and_or(uint32_t a, uint32_t c) {
    uint32_t r;
    asm("lop3.b32 %0, %1, %2, %3, 0xEA;" : "=r"(r) : "r"(a), "n"(MASK), "r"(c));
    return r;
}
// code pair j of a lane's chunk of c4 codes: which two codes (their index in the chunk) share one register, low half first.
// Widths that divide 16, in chunks of whole words, pair codes 16 bits apart in one word (one shift and one logic op a pair);
// the others pair code j with code j + c4/2.
__device__ constexpr bool jang_word_pairs(int bits, int c4) { return 16 % bits == 0 && c4 * bits % 32 == 0; }
__device__ constexpr int jang_pair_lo(int j, int bits, int c4) {
    return jang_word_pairs(bits, c4) ? (j / (16 / bits)) * (32 / bits) + j % (16 / bits) : j;
}
__device__ constexpr int jang_pair_hi(int j, int bits, int c4) {
    return jang_word_pairs(bits, c4) ? jang_pair_lo(j, bits, c4) + 16 / bits : j + c4 / 2;
}
// @kernel-body
    // Tile: 16 output rows x 16 inputs, one mma.m16n8k16 with the weights as A (rows g and g + 8 in lane 4g + t) and the
    // activation as B, the same in all 8 columns (so every column of D holds the answer: lane 4g + t reads rows g and g + 8
    // from d[0] and d[2]). The 16 inputs of one mma need not be consecutive — a dot product does not care in which order its
    // terms come, as long as A and B agree: lane t of a row takes VG/4 consecutive codes of each run of VG inputs (its
    // "chunk"), and the pairs of codes that suit the unpacking fill the mma's k slots; the activation is paired to match.
    // A block holds WARPS warps over MT tiles (16 MT rows); warp w takes runs w, w + WARPS, ... of those rows (split K), and
    // the warps' sums meet in shared memory. A run is a scale group (affine; TurboQuant groups), or 64 inputs (TurboQuant's
    // one scale a row, applied at the end).
    constexpr bool ROWSCALE = !AFFINE && NG == 1;
    constexpr int VG = ROWSCALE ? 64 : GS;     // inputs of a run
    constexpr int NV = IN / VG;                // runs of a row
    constexpr int C4 = VG / 4;                 // codes a lane takes of a row and run
    constexpr int NPAIR = C4 / 2;              // code-pair registers per row and run
    constexpr int KT = C4 / 4;                 // mma k-tiles per run
    constexpr int CB = C4 * BITS;              // bits of a chunk
    constexpr bool ALIGNED = CB % 32 == 0;     // every lane's chunk starts on a word
    constexpr int NW = (CB + 31) / 32;         // words of a chunk (after shifting it to bit 0)
    constexpr int WORDS = IN * BITS / 32;      // words of a row
    constexpr int PLANES = (AFFINE && BITS == 8) ? 2 : 1;   // 8-bit codes are two 4-bit planes (128 + 255 does not fit bf16's mantissa)
    constexpr int PB = (AFFINE && BITS == 8) ? 4 : BITS;    // bits of a plane's code
    constexpr unsigned MASK2 = ((1u << PB) - 1u) * 0x10001u;
    constexpr int ENTRIES = AFFINE ? 1 : 1 << (2 * BITS);   // TurboQuant: levels of every pair of adjacent codes
    constexpr int VPW = (NV + WARPS - 1) / WARPS;   // runs a warp takes (the last warps may take one fewer)
    constexpr int CHG = VPW < 4 ? VPW : 4;     // runs whose loads are requested together
    constexpr bool RAGGED = NV % WARPS != 0 || VPW % CHG != 0;   // some warp's last load group reaches past its runs
    static_assert(VG % 32 == 0 && IN % VG == 0, "runs of 32, 64 or 128 inputs");
    static_assert(NV >= WARPS, "a warp takes whole runs: at most one warp a run");
    const OutT tag{};
    const uint32_t magic = jang_magic(tag);
    const float off = jang_offset(tag) * (BITS == 8 ? 17.f : 1.f);   // 8-bit: lo plane + 16 * hi plane, each offset
    int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    int g = lane >> 2, t = lane & 3;
    int p = blockIdx.y;
    __shared__ uint32_t levels[ENTRIES];
    if constexpr (!AFFINE) {
        for (int i = tid; i < ENTRIES; i += blockDim.x)
            levels[i] = jang_pack2(static_cast<float>(aux[i & ((1 << BITS) - 1)]), static_cast<float>(aux[i >> BITS]), tag);
        __syncthreads();
    }
#if JANG_PAIR
    int e = (E == 1) ? 0 : experts[p >> 1];
    const uint32_t* crow = (p & 1) ? codes2 : codes;
    auto srow = (p & 1) ? scales2 : scales;
#else
    int e = (E == 1) ? 0 : experts[p];
    const uint32_t* crow = codes;
    auto srow = scales;
#endif
    const int row0 = blockIdx.x * 16 * MT;
    // this lane's first chunk (run `warp`); run warp + WARPS * i lies a whole number of words further
    const int lanebit = (warp * VG + t * C4) * BITS;
    const int shift = lanebit & 31;            // a chunk that starts mid-word (3-, 5-, 6-bit codes in some groups)
    const auto xbase = x + (size_t)p * IN + warp * VG + t * C4;
#if JANG_NORM
    const auto gbase = gamma + warp * VG + t * C4;   // (gamma in x's dtype: it is multiplied as 16-bit pairs)
#endif
    const uint32_t* cbase[MT][2];
    decltype(srow) sbase[MT][2];               // scales (and biases) in whatever dtype they are stored
    decltype(aux) bbase[MT][2];
    #pragma unroll
    for (int m = 0; m < MT; ++m)
        #pragma unroll
        for (int h = 0; h < 2; ++h) {
            int row = min(row0 + 16 * m + g + 8 * h, OUT - 1);   // rows past the end recompute the last row, not stored
            cbase[m][h] = crow + ((size_t)e * OUT + row) * WORDS + lanebit / 32;
            sbase[m][h] = srow + ((size_t)e * OUT + row) * NG + (ROWSCALE ? 0 : warp);
            bbase[m][h] = aux + (AFFINE ? ((size_t)e * OUT + row) * NG + warp : 0);
        }
    float acc[MT][2], dsum[MT][4];             // dsum: ROWSCALE's products, scaled at the end
    #pragma unroll
    for (int m = 0; m < MT; ++m) {
        acc[m][0] = 0.f;
        acc[m][1] = 0.f;
        #pragma unroll
        for (int k = 0; k < 4; ++k) dsum[m][k] = 0.f;
    }
    uint32_t ones[4];
    #pragma unroll
    for (int k = 0; k < 4; ++k) ones[k] = jang_ones(tag);
#if JANG_NORM
    float ssq = 0.f;                           // sum(x^2) of this warp's runs (the same in every lane)
#endif
    #pragma unroll
    for (int i0 = 0; i0 < VPW; i0 += CHG) {
        uint32_t w[CHG][MT][2][NW + (ALIGNED ? 0 : 1)];
        float sc[CHG][MT][2], bi[CHG][MT][2];
        uint4 xv[CHG][C4 / 8];
#if JANG_NORM
        uint4 gv[CHG][C4 / 8];
#endif
        // every load of CHG runs first: decode GEMV is latency-bound
        #pragma unroll
        for (int c = 0; c < CHG; ++c) {
            // a warp out of runs (NV not a multiple of WARPS, or a last load group past VPW) loads its last run again, and
            // skips it below
            const int i = RAGGED ? min(i0 + c, (NV - 1 - warp) / WARPS) : i0 + c;
            #pragma unroll
            for (int m = 0; m < MT; ++m)
                #pragma unroll
                for (int h = 0; h < 2; ++h) {
                    const uint32_t* src = cbase[m][h] + i * (WARPS * VG * BITS / 32);
                    if constexpr (ALIGNED && NW % 4 == 0) {
                        #pragma unroll
                        for (int k = 0; k < NW; k += 4) { uint4 v = reinterpret_cast<const uint4*>(src)[k / 4]; w[c][m][h][k] = v.x; w[c][m][h][k + 1] = v.y; w[c][m][h][k + 2] = v.z; w[c][m][h][k + 3] = v.w; }
                    } else if constexpr (ALIGNED && NW % 2 == 0) {
                        #pragma unroll
                        for (int k = 0; k < NW; k += 2) { uint2 v = reinterpret_cast<const uint2*>(src)[k / 2]; w[c][m][h][k] = v.x; w[c][m][h][k + 1] = v.y; }
                    } else if constexpr (ALIGNED) {
                        #pragma unroll
                        for (int k = 0; k < NW; ++k) w[c][m][h][k] = src[k];
                    } else {   // one word more; none past the row's end (the last row's would lie past the buffer)
                        #pragma unroll
                        for (int k = 0; k < NW; ++k) w[c][m][h][k] = src[k];
                        w[c][m][h][NW] = (lanebit / 32 + i * (WARPS * VG * BITS / 32) + NW < WORDS) ? src[NW] : 0u;
                    }
                    if constexpr (!ROWSCALE) sc[c][m][h] = static_cast<float>(sbase[m][h][i * WARPS]);
                    if constexpr (AFFINE) bi[c][m][h] = static_cast<float>(bbase[m][h][i * WARPS]);
                }
            #pragma unroll
            for (int k = 0; k < C4 / 8; ++k) {
                xv[c][k] = reinterpret_cast<const uint4*>(xbase + i * WARPS * VG)[k];
#if JANG_NORM
                gv[c][k] = reinterpret_cast<const uint4*>(gbase + i * WARPS * VG)[k];
#endif
            }
        }
        #pragma unroll
        for (int c = 0; c < CHG; ++c) {
            if (RAGGED && warp + WARPS * (i0 + c) >= NV) break;
            // the activation's pairs, matched to the code pairs; the raw ones for sum(x^2)
            const uint32_t* xw = reinterpret_cast<const uint32_t*>(&xv[c][0]);
            uint32_t xpair[NPAIR];
#if JANG_NORM
            uint32_t rawpair[NPAIR];
            const uint32_t* gw = reinterpret_cast<const uint32_t*>(&gv[c][0]);
#endif
            #pragma unroll
            for (int j = 0; j < NPAIR; ++j) {
                // affine: the pairs its unpacking makes; TurboQuant: adjacent codes (2j, 2j + 1), the activation's own pairs
                const int lo = AFFINE ? jang_pair_lo(j, BITS, C4) : 2 * j, hi = AFFINE ? jang_pair_hi(j, BITS, C4) : 2 * j + 1;
                const unsigned sel = (lo & 1 ? 0x32u : 0x10u) | (hi & 1 ? 0x7600u : 0x5400u);
                xpair[j] = AFFINE ? __byte_perm(xw[lo / 2], xw[hi / 2], sel) : xw[j];
#if JANG_NORM
                rawpair[j] = xpair[j];
                xpair[j] = jang_mul2(xpair[j], AFFINE ? __byte_perm(gw[lo / 2], gw[hi / 2], sel) : gw[j], tag);
#endif
            }
            // sum(x) of the run (affine: the bias term and the codes' offset) from the same pairs: ones times x
            float sx[4] = {0.f, 0.f, 0.f, 0.f};
#if JANG_NORM
            float sq[4] = {0.f, 0.f, 0.f, 0.f};
#endif
            #pragma unroll
            for (int kt = 0; kt < KT; ++kt) {
                const uint32_t b[2] = {xpair[2 * kt], xpair[2 * kt + 1]};
                if constexpr (AFFINE) jang_mma(sx, ones, b, sx, tag);
#if JANG_NORM
                const uint32_t ra[4] = {rawpair[2 * kt], rawpair[2 * kt], rawpair[2 * kt + 1], rawpair[2 * kt + 1]};
                const uint32_t rb[2] = {rawpair[2 * kt], rawpair[2 * kt + 1]};
                jang_mma(sq, ra, rb, sq, tag);
#endif
            }
#if JANG_NORM
            ssq += sq[0];
#endif
            #pragma unroll
            for (int m = 0; m < MT; ++m) {
                // the chunk's words from bit 0 (a lane whose chunk starts mid-word shifts its words first)
                uint32_t cw[2][NW + 1];
                #pragma unroll
                for (int h = 0; h < 2; ++h) {
                    #pragma unroll
                    for (int k = 0; k < NW; ++k)
                        cw[h][k] = ALIGNED ? w[c][m][h][k] : __funnelshift_r(w[c][m][h][k], w[c][m][h][k + (ALIGNED ? 0 : 1)], shift);
                    cw[h][NW] = 0u;
                }
                float d[PLANES][4];
                #pragma unroll
                for (int pl = 0; pl < PLANES; ++pl) {
                    #pragma unroll
                    for (int k = 0; k < 4; ++k) d[pl][k] = ROWSCALE ? dsum[m][k] : 0.f;
                    #pragma unroll
                    for (int kt = 0; kt < KT; ++kt) {
                        uint32_t a[4];
                        #pragma unroll
                        for (int q = 0; q < 4; ++q) {   // a[0] row g pair 2kt, a[1] row g + 8 pair 2kt, a[2] / a[3] pair 2kt + 1
                            const int h = q & 1, j = 2 * kt + (q >> 1);
                            if constexpr (!AFFINE) {     // the pair's table entry: its two codes as one index, times 4 bytes
                                constexpr int IDX = (ENTRIES - 1) << 2;
                                const int pos = 2 * j * BITS;
                                const uint32_t v = (pos % 32 >= 2) ? __funnelshift_r(cw[h][pos / 32], cw[h][pos / 32 + 1], pos % 32 - 2) : cw[h][pos / 32] << 2;
                                a[q] = *reinterpret_cast<const uint32_t*>(reinterpret_cast<const char*>(levels) + (v & IDX));
                            } else {
                                uint32_t v;
                                if constexpr (BITS == 8) {   // bytes j' and j' + 2 of a word; the plane's nibble of each
                                    const int lo = jang_pair_lo(j, 8, C4);
                                    v = cw[h][lo / 4] >> (8 * (lo % 4) + 4 * pl);
                                } else if constexpr (jang_word_pairs(BITS, C4)) {
                                    const int lo = jang_pair_lo(j, BITS, C4);
                                    v = cw[h][lo * BITS / 32] >> (lo * BITS % 32);
                                } else {
                                    const int lo = jang_pair_lo(j, BITS, C4), hi = jang_pair_hi(j, BITS, C4);
                                    const int pa = lo * BITS, pb = hi * BITS;
                                    const uint32_t va = __funnelshift_r(cw[h][pa / 32], cw[h][pa / 32 + 1], pa % 32);
                                    const uint32_t vb = __funnelshift_r(cw[h][pb / 32], cw[h][pb / 32 + 1], pb % 32);
                                    v = __byte_perm(va, vb, 0x5410);
                                }
                                a[q] = jang_and_or<MASK2>(v, magic);
                            }
                        }
                        const uint32_t b[2] = {xpair[2 * kt], xpair[2 * kt + 1]};
                        jang_mma(d[pl], a, b, d[pl], tag);
                    }
                }
                #pragma unroll
                for (int h = 0; h < 2; ++h) {
                    if constexpr (ROWSCALE) {
                        dsum[m][2 * h] = d[0][2 * h];
                    } else if constexpr (AFFINE) {   // s * (D - off * sum(x)) + b * sum(x)
                        const float dq = PLANES == 2 ? fmaf(d[1][2 * h], 16.f, d[0][2 * h]) : d[0][2 * h];
                        acc[m][h] = fmaf(sc[c][m][h], dq, fmaf(fmaf(-off, sc[c][m][h], bi[c][m][h]), sx[0], acc[m][h]));
                    } else {
                        acc[m][h] = fmaf(sc[c][m][h], d[0][2 * h], acc[m][h]);
                    }
                }
                if constexpr (ROWSCALE) {
                    dsum[m][1] = d[0][1];
                    dsum[m][3] = d[0][3];
                }
            }
        }
    }
    if constexpr (ROWSCALE) {
        #pragma unroll
        for (int m = 0; m < MT; ++m)
            #pragma unroll
            for (int h = 0; h < 2; ++h) acc[m][h] = dsum[m][2 * h] * static_cast<float>(sbase[m][h][0]);
    }
    // the warps' partial sums meet in shared memory; one thread a row finishes it
    __shared__ float part[WARPS][16 * MT];
#if JANG_NORM
    __shared__ float sqs[WARPS];
    if (lane == 0) sqs[warp] = ssq;
#endif
    if (t == 0) {
        #pragma unroll
        for (int m = 0; m < MT; ++m) { part[warp][16 * m + g] = acc[m][0]; part[warp][16 * m + g + 8] = acc[m][1]; }
    }
    __syncthreads();
    float rs = 1.f;
#if JANG_NORM
    {
        float total = 0.f;
        #pragma unroll
        for (int k = 0; k < WARPS; ++k) total += sqs[k];
        rs = rsqrtf(total / IN + JANG_EPS);
    }
#endif
#if JANG_SWIGLU
    if (tid < 8 * MT) {
        const int r = 2 * tid;
        if (row0 + r >= OUT) return;
        float gate = 0.f, up = 0.f;
        #pragma unroll
        for (int k = 0; k < WARPS; ++k) { gate += part[k][r]; up += part[k][r + 1]; }
        gate *= rs;
        up *= rs;
        y[(size_t)p * (OUT / 2) + (row0 + r) / 2] = static_cast<OutT>(gate / (1.f + __expf(-gate)) * up);
    }
#else
    if (tid < 16 * MT) {
        if (row0 + tid >= OUT) return;
        float v = 0.f;
        #pragma unroll
        for (int k = 0; k < WARPS; ++k) v += part[k][tid];
        v *= rs;
#if JANG_RES
        v += static_cast<float>(res[(size_t)p * OUT + row0 + tid]);
#endif
        y[(size_t)p * OUT + row0 + tid] = static_cast<OutT>(v);
    }
#endif
