"""exp and log over many replications at once, for the compiled kernels.

The C library's exp and log are called one number at a time, and numba here has no vector
version of them (no SVML): they were about 60% of `kernels.supply` once the rest of it ran
on vectors (docs/performance.md). These are the algorithms of fdlibm (e_exp.c, e_log.c),
written as loops of plain arithmetic and integer operations on the bits of a double, which
the compiler turns into vector instructions: range reduction by powers of two and ln 2
(split in a high part, exact in products with small integers, and a low part), and a
minimax polynomial on the reduced argument. Their error is below one unit in the last place
(ulp); they agree with the C library's to within 1 ulp (tests/engine/test_vmath.py checks
4 million arguments of each, and the special values). Results depend on IEEE arithmetic
only, not on the C library of the machine, and are the same in every lane of a vector as
in the scalar remainder.

The constants and the method are from fdlibm 5.3:

    Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
    Developed at SunSoft, a Sun Microsystems, Inc. business.
    Permission to use, copy, modify, and distribute this software is freely granted,
    provided that this notice is preserved.
"""

from __future__ import annotations

import numpy as np
from numba import njit

LN2_HI = 6.93147180369123816490e-01  # its last 32 bits are zero: k * LN2_HI is exact
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e00
P1 = 1.66666666666666019037e-01
P2 = -2.77777777770155933842e-03
P3 = 6.61375632143793436117e-05
P4 = -1.65339022054652515390e-06
P5 = 4.13813679705723846039e-08
EXP_OVER = 7.09782712893383973096e02  # exp(x) overflows above
EXP_UNDER = -7.45133219101941108420e02  # and is 0 below
LG1 = 6.666666666666735130e-01
LG2 = 3.999999999940941908e-01
LG3 = 2.857142874366239149e-01
LG4 = 2.222219843214978396e-01
LG5 = 1.818357216161805012e-01
LG6 = 1.531383769920937332e-01
LG7 = 1.479819860511658591e-01
TWO54 = 1.80143985094819840000e16
SMALLEST_NORMAL = 2.2250738585072014e-308
ROUNDER = 6755399441055744.0  # 1.5 * 2**52: x + ROUNDER holds the integer x in its low bits
ROUNDER_BITS = 0x4338000000000000


@njit(cache=True, error_model="numpy")
def exp_lanes(n, x, out, scratch):
    """out[:n] = exp(x[:n]); `out` must not be `x`; scratch: float64 [2, >= n].

    x = k ln 2 + y with |y| <= ln(2)/2, exp(y) from a rational form of its polynomial, and
    2**k applied as two factors 2**(k//2) and 2**(k - k//2), each a normal number even where
    the result is subnormal (one product is exact wherever the result is normal)."""
    a = scratch[0]
    b = scratch[1]
    a_bits = a.view(np.int64)
    b_bits = b.view(np.int64)
    for r in range(n):
        v = x[r]
        k = np.floor(v * INV_LN2 + 0.5)
        hi = v - k * LN2_HI
        lo = k * LN2_LO
        y = hi - lo
        t = y * y
        c = y - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))))
        out[r] = 1.0 - ((lo - (y * c) / (2.0 - c)) - hi)
        half = np.floor(k * 0.5)
        a[r] = half + ROUNDER
        b[r] = (k - half) + ROUNDER
    for r in range(n):  # the integers into the exponent field: 2**half, 2**(k - half)
        a_bits[r] = (a_bits[r] - ROUNDER_BITS + 1023) << 52
        b_bits[r] = (b_bits[r] - ROUNDER_BITS + 1023) << 52
    for r in range(n):
        v = x[r]
        e = out[r] * a[r] * b[r]
        e = np.inf if v > EXP_OVER else e
        e = 0.0 if v < EXP_UNDER else e
        out[r] = v if v != v else e  # NaN stays NaN


@njit(cache=True, error_model="numpy")
def log_lanes(n, x, out, scratch):
    """out[:n] = log(x[:n]); `out` must not be `x`; scratch: float64 [2, >= n].

    x = 2**k (1 + f) with 1 + f in [sqrt(2)/2, sqrt(2)), read from the bits of x;
    log(1 + f) = 2 atanh(s), s = f / (2 + f), from a polynomial in s**2. fdlibm picks one of
    two equivalent forms by where f lies; the choice rides on `kk` as a half."""
    m = scratch[0]
    kk = scratch[1]
    m_bits = m.view(np.int64)
    for r in range(n):
        v = x[r]
        subnormal = v < SMALLEST_NORMAL  # (or 0 or negative: their results are set below)
        m[r] = v * TWO54 if subnormal else v
        kk[r] = -54.0 if subnormal else 0.0
    for r in range(n):
        bits = m_bits[r]
        hx = (bits >> 32) & 0x7FFFFFFF
        k = (hx >> 20) - 1023
        hx &= 0x000FFFFF
        i = (hx + 0x95F64) & 0x100000  # whether the mantissa is at least sqrt(2)
        k += i >> 20
        m_bits[r] = ((hx | (i ^ 0x3FF00000)) << 32) | (bits & 0xFFFFFFFF)  # 1 + f
        upper = ((hx - 0x6147A) | (0x6B851 - hx)) > 0
        kk[r] += k + (0.5 if upper else 0.0)
    for r in range(n):
        v = x[r]
        dk = np.floor(kk[r])
        upper = kk[r] != dk
        f = m[r] - 1.0
        s = f / (2.0 + f)
        z = s * s
        w = z * z
        t1 = w * (LG2 + w * (LG4 + w * LG6))
        t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)))
        R = t2 + t1
        hfsq = 0.5 * f * f
        if upper:
            if dk == 0.0:
                y = f - (hfsq - s * (hfsq + R))
            else:
                y = dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f)
        elif dk == 0.0:
            y = f - s * (f - R)
        else:
            y = dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f)
        y = -np.inf if v == 0.0 else y
        y = np.nan if v < 0.0 else y
        out[r] = v if (v != v or v == np.inf) else y  # NaN and +inf are their own logs
