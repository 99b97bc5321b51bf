using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

// Beside SleefFloat, in namespace Autograd.
namespace Autograd;

/// <summary>
/// Sleef's float64 <c>exp</c> (<c>xexp</c>, the u10 variant of Sleef 3.5 as built for AVX2 with
/// FMA: <c>Sleef_expd4_u10avx2</c>), the exp of PyTorch's vectorised CPU kernels
/// (<c>Vectorized&lt;double&gt;::exp</c>), reproduced operation for operation so that exp and sigmoid
/// match PyTorch bit for bit, and give the same bits on every call, at every array offset and in
/// the scalar tail. Within 1 ulp of the true value. Checked against torch.exp / torch.sigmoid on
/// 4096 values (tools/gen_sleef_double_fixtures.py). Also Sleef's float64 <c>log</c> (<c>xlog_u1</c>,
/// <c>Sleef_logd4_u10avx2</c>), torch.log's kernel, checked the same way on 4096 values
/// (tools/gen_sleef_log_fixtures.py).
/// </summary>
internal static class SleefDouble
{
    private const double RLn2 = 1.442695040888963407359924681001892137426645954152985934135449406931;
    private const double L2U = .69314718055966295651160180568695068359375; // ln 2, upper bits (Cody-Waite)
    private const double L2L = .28235290563031577122588448175013436025525412068e-12; // ln 2 - L2U
    private const double OverflowBound = 709.78271114955742909217217426; // above: +inf
    private const double UnderflowBound = -1000; // below: 0 (between -745.2 and here 2^q underflows to 0 by itself)

    // Sleef's degree-10 polynomial for (e^s - 1 - s - s^2/2) / s^3, highest coefficient first.
    private const double C9 = +0.2081276378237164457e-8;
    private const double C8 = +0.2511210703042288022e-7;
    private const double C7 = +0.2755762628169491192e-6;
    private const double C6 = +0.2755723402025388239e-5;
    private const double C5 = +0.2480158687479686264e-4;
    private const double C4 = +0.1984126989855865850e-3;
    private const double C3 = +0.1388888888914497797e-2;
    private const double C2 = +0.8333333333314938210e-2;
    private const double C1 = +0.4166666666666602598e-1;
    private const double C0 = +0.1666666666666669072e+0;

    /// <summary>
    /// e^d: d = q ln2 + s (Cody-Waite, two parts of ln 2), a polynomial in s evaluated by Estrin's
    /// scheme (Sleef's POLY10), then Horner steps for 1/2, 1, 1, times 2^q.
    /// </summary>
    public static double Exp(double d)
    {
        double q = Math.Round(d * RLn2); // round half to even, as roundpd
        double s = Math.FusedMultiplyAdd(q, -L2U, d);
        s = Math.FusedMultiplyAdd(q, -L2L, s);
        double s2 = s * s, s4 = s2 * s2, s8 = s4 * s4;
        double p98 = Math.FusedMultiplyAdd(s, C9, C8);
        double p74 = Math.FusedMultiplyAdd(s2, Math.FusedMultiplyAdd(s, C7, C6), Math.FusedMultiplyAdd(s, C5, C4));
        double p30 = Math.FusedMultiplyAdd(s2, Math.FusedMultiplyAdd(s, C3, C2), Math.FusedMultiplyAdd(s, C1, C0));
        double u = Math.FusedMultiplyAdd(s8, p98, Math.FusedMultiplyAdd(s4, p74, p30));
        u = Math.FusedMultiplyAdd(u, s, 0.5);
        u = Math.FusedMultiplyAdd(u, s, 1);
        u = Math.FusedMultiplyAdd(u, s, 1);
        if (double.IsNaN(d)) return d;
        if (d > OverflowBound) return double.PositiveInfinity;
        if (d < UnderflowBound) return 0;
        int e = (int)q;
        int half = e >> 1; // 2^q in two factors, so that neither over- or underflows on its own
        return u * Pow2(half) * Pow2(e - half);
    }

    private static double Pow2(int q) => BitConverter.Int64BitsToDouble((long)(q + 0x3ff) << 52);

    /// <summary><see cref="Exp(double)"/> on 4 lanes at once (the same operations, so the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Exp(Vector256<double> d)
    {
        var q = Vector256.Round(d * Vector256.Create(RLn2));
        var s = Vector256.FusedMultiplyAdd(q, Vector256.Create(-L2U), d);
        s = Vector256.FusedMultiplyAdd(q, Vector256.Create(-L2L), s);
        var s2 = s * s;
        var s4 = s2 * s2;
        var s8 = s4 * s4;
        var p98 = Vector256.FusedMultiplyAdd(s, Vector256.Create(C9), Vector256.Create(C8));
        var p74 = Vector256.FusedMultiplyAdd(s2,
            Vector256.FusedMultiplyAdd(s, Vector256.Create(C7), Vector256.Create(C6)),
            Vector256.FusedMultiplyAdd(s, Vector256.Create(C5), Vector256.Create(C4)));
        var p30 = Vector256.FusedMultiplyAdd(s2,
            Vector256.FusedMultiplyAdd(s, Vector256.Create(C3), Vector256.Create(C2)),
            Vector256.FusedMultiplyAdd(s, Vector256.Create(C1), Vector256.Create(C0)));
        var u = Vector256.FusedMultiplyAdd(s8, p98, Vector256.FusedMultiplyAdd(s4, p74, p30));
        u = Vector256.FusedMultiplyAdd(u, s, Vector256.Create(0.5));
        u = Vector256.FusedMultiplyAdd(u, s, Vector256.Create(1.0));
        u = Vector256.FusedMultiplyAdd(u, s, Vector256.Create(1.0));
        // q is a whole number; half = q >> 1 as floor(q / 2), exactly. Lanes outside the bounds
        // (where the factors are meaningless) are replaced below; NaN stays NaN through the products.
        var half = Vector256.Floor(q * Vector256.Create(0.5));
        u = u * Pow2(half) * Pow2(q - half);
        u = Vector256.ConditionalSelect(Vector256.GreaterThan(d, Vector256.Create(OverflowBound)), Vector256.Create(double.PositiveInfinity), u);
        return Vector256.ConditionalSelect(Vector256.LessThan(d, Vector256.Create(UnderflowBound)), Vector256<double>.Zero, u);
    }

    /// <summary>
    /// 2^k for a whole k with -1023 &lt; k &lt; 1024 (k + 1.5 2^52 has k in its low mantissa bits;
    /// the low 11 bits of k + 1023 become the exponent field), without a float-to-int conversion,
    /// which AVX2 lacks for 64-bit lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Pow2(Vector256<double> k) =>
        Vector256.ShiftLeft((k + Vector256.Create(6755399441055744.0)).AsInt64() + Vector256.Create(0x3ffL), 52).AsDouble();

    /// <summary><c>d[i] = e^x[i]</c>, 4 at a time; the tail through the scalar form (the same bits).</summary>
    public static void Exp(ReadOnlySpan<double> x, Span<double> d)
    {
        if (d.Length < x.Length) throw new ArgumentException("Destination too short.", nameof(d));
        ref double xs = ref MemoryMarshal.GetReference(x);
        ref double ds = ref MemoryMarshal.GetReference(d);
        int i = 0;
        for (; i + 4 <= x.Length; i += 4) Exp(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
        for (; i < x.Length; i++) Unsafe.Add(ref ds, i) = Exp(Unsafe.Add(ref xs, i));
    }

    // Sleef's xlog_u1 (Sleef_logd4_u10avx2, as torch.log calls it through Vectorized<double>::log):
    // ln 2 in two parts, and the degree-6 polynomial p in x^2 (highest coefficient first) with
    // ln m = 2x + x^3 p(x^2); constants as read from libsleef.so.3.5.1.
    private const double LogL2U = .693147180559945286226764; // 0x3fe62e42fefa39ef
    private const double LogL2L = 2.319046813846299558417771e-17; // 0x3c7abc9e3b39803f
    private const double L6 = 0.1532076988502701353e+0;
    private const double L5 = 0.1525629051003428716e+0;
    private const double L4 = 0.1818605932937785996e+0;
    private const double L3 = 0.2222214519839380009e+0;
    private const double L2 = 0.2857142932794299317e+0;
    private const double L1 = 0.3999999999635251990e+0;
    private const double L0 = 0.6666666666667333541e+0;
    private const double DblMin = 2.2250738585072014e-308;
    private const double TwoTo64 = 18446744073709551616.0;
    private const double FourThirds = 1.0 / 0.75; // 0x3ff5555555555555

    /// <summary>
    /// ln d (Sleef's <c>xlog_u1</c>, the u10 log of Sleef 3.5 for AVX2 with FMA): d = m 2^e with
    /// m in [0.75, 1.5) (subnormals scaled by 2^64 first), ln m = 2 atanh(x), x = (m - 1)/(m + 1)
    /// in double-double arithmetic, e ln 2 in double-double; the sum rounded once at the end.
    /// Then Sleef's special cases: +inf for +inf, NaN for NaN and negatives, -inf for zeros.
    /// </summary>
    public static double Log(double d)
    {
        bool subnormal = d < DblMin;
        if (subnormal) d *= TwoTo64;
        long e = ((BitConverter.DoubleToInt64Bits(d * FourThirds) >> 52) & 0x7ff) - 0x3ff;
        double m = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(d) - (e << 52));
        if (subnormal) e -= 64;

        // s = e ln 2 (ddmul of the two-part ln 2 by e)
        double ef = e;
        double sHi = LogL2U * ef;
        double sLo = Math.FusedMultiplyAdd(LogL2L, ef, Math.FusedMultiplyAdd(LogL2U, ef, -sHi));
        // x = (m - 1) / (m + 1) (ddadd2 twice, dddiv)
        var (nHi, nLo) = Add2(-1, m);
        var (dHi, dLo) = Add2(1, m);
        double t = 1.0 / dHi;
        double xHi = nHi * t;
        double u = Math.FusedMultiplyAdd(t, nHi, -xHi);
        double v = Math.FusedMultiplyAdd(-dLo, t, Math.FusedMultiplyAdd(-dHi, t, 1));
        double xLo = Math.FusedMultiplyAdd(xHi, v, Math.FusedMultiplyAdd(nLo, t, u));

        double x2 = xHi * xHi, x4 = x2 * x2, x8 = x4 * x4;
        double p64 = Math.FusedMultiplyAdd(x4, L6, Math.FusedMultiplyAdd(x2, L5, L4));
        double p30 = Math.FusedMultiplyAdd(x4, Math.FusedMultiplyAdd(x2, L3, L2), Math.FusedMultiplyAdd(x2, L1, L0));
        double p = Math.FusedMultiplyAdd(x8, p64, p30);

        // s += 2x (ddadd of double-doubles), s += x^3 p (ddadd of a double)
        double yHi = xHi * 2, yLo = xLo * 2;
        double r = sHi + yHi;
        double rLo = sHi - r + yHi + sLo + yLo;
        double z = xHi * x2 * p;
        double r2 = r + z;
        double r2Lo = r - r2 + z + rLo;
        double result = r2 + r2Lo;

        if (double.IsPositiveInfinity(d)) result = double.PositiveInfinity;
        if (!(d >= 0)) result = double.NaN; // negatives and NaN
        if (d == 0) result = double.NegativeInfinity;
        return result;
    }

    private static (double Hi, double Lo) Add2(double x, double y)
    {
        double s = x + y, v = s - x;
        return (s, (x - (s - v)) + (y - v));
    }

    /// <summary><see cref="Log(double)"/> on 4 lanes at once (the same operations, so the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Log(Vector256<double> d)
    {
        var subnormal = Vector256.LessThan(d, Vector256.Create(DblMin));
        d = Vector256.ConditionalSelect(subnormal, d * Vector256.Create(TwoTo64), d);
        var e = (Vector256.ShiftRightLogical((d * Vector256.Create(FourThirds)).AsInt64(), 52) & Vector256.Create(0x7ffL)) - Vector256.Create(0x3ffL);
        var m = (d.AsInt64() - Vector256.ShiftLeft(e, 52)).AsDouble();
        e -= subnormal.AsInt64() & Vector256.Create(64L);
        // e to double without a 64-bit integer conversion (AVX2 has none): 1.5 2^52 + e, exactly, minus 1.5 2^52.
        var ef = (e + Vector256.Create(0x4338000000000000L)).AsDouble() - Vector256.Create(6755399441055744.0);

        var sHi = Vector256.Create(LogL2U) * ef;
        var sLo = Vector256.FusedMultiplyAdd(Vector256.Create(LogL2L), ef, Vector256.FusedMultiplyAdd(Vector256.Create(LogL2U), ef, -sHi));
        var one = Vector256.Create(1.0);
        var (nHi, nLo) = Add2(-one, m);
        var (dHi, dLo) = Add2(one, m);
        var t = one / dHi;
        var xHi = nHi * t;
        var u = Vector256.FusedMultiplyAdd(t, nHi, -xHi);
        var v = Vector256.FusedMultiplyAdd(-dLo, t, Vector256.FusedMultiplyAdd(-dHi, t, one));
        var xLo = Vector256.FusedMultiplyAdd(xHi, v, Vector256.FusedMultiplyAdd(nLo, t, u));

        var x2 = xHi * xHi;
        var x4 = x2 * x2;
        var x8 = x4 * x4;
        var p64 = Vector256.FusedMultiplyAdd(x4, Vector256.Create(L6), Vector256.FusedMultiplyAdd(x2, Vector256.Create(L5), Vector256.Create(L4)));
        var p30 = Vector256.FusedMultiplyAdd(x4,
            Vector256.FusedMultiplyAdd(x2, Vector256.Create(L3), Vector256.Create(L2)),
            Vector256.FusedMultiplyAdd(x2, Vector256.Create(L1), Vector256.Create(L0)));
        var p = Vector256.FusedMultiplyAdd(x8, p64, p30);

        var two = Vector256.Create(2.0);
        var yHi = xHi * two;
        var yLo = xLo * two;
        var r = sHi + yHi;
        var rLo = sHi - r + yHi + sLo + yLo;
        var z = xHi * x2 * p;
        var r2 = r + z;
        var r2Lo = r - r2 + z + rLo;
        var result = r2 + r2Lo;

        result = Vector256.ConditionalSelect(Vector256.Equals(d, Vector256.Create(double.PositiveInfinity)), Vector256.Create(double.PositiveInfinity), result);
        result = Vector256.ConditionalSelect(~Vector256.GreaterThanOrEqual(d, Vector256<double>.Zero), Vector256.Create(double.NaN), result);
        return Vector256.ConditionalSelect(Vector256.Equals(d, Vector256<double>.Zero), Vector256.Create(double.NegativeInfinity), result);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<double> Hi, Vector256<double> Lo) Add2(Vector256<double> x, Vector256<double> y)
    {
        var s = x + y;
        var v = s - x;
        return (s, (x - (s - v)) + (y - v));
    }

    /// <summary><c>d[i] = ln x[i]</c>, 4 at a time; the tail through the scalar form (the same bits).</summary>
    public static void Log(ReadOnlySpan<double> x, Span<double> d)
    {
        if (d.Length < x.Length) throw new ArgumentException("Destination too short.", nameof(d));
        ref double xs = ref MemoryMarshal.GetReference(x);
        ref double ds = ref MemoryMarshal.GetReference(d);
        int i = 0;
        for (; i + 4 <= x.Length; i += 4) Log(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
        for (; i < x.Length; i++) Unsafe.Add(ref ds, i) = Log(Unsafe.Add(ref xs, i));
    }

    /// <summary>
    /// <c>d[i] = 1 / (1 + e^(0 - x[i]))</c>, 4 at a time: torch.sigmoid's float64 vector kernel
    /// (negate, Sleef exp, add one, divide one by it). PyTorch's own scalar tail (the last
    /// <c>n % 8</c> elements) uses std::exp instead; here the tail uses the same Sleef exp, so
    /// every element gives the same bits wherever it lies.
    /// </summary>
    public static void Sigmoid(ReadOnlySpan<double> x, Span<double> d)
    {
        if (d.Length < x.Length) throw new ArgumentException("Destination too short.", nameof(d));
        ref double xs = ref MemoryMarshal.GetReference(x);
        ref double ds = ref MemoryMarshal.GetReference(d);
        var one = Vector256.Create(1.0);
        int i = 0;
        for (; i + 4 <= x.Length; i += 4)
            (one / (one + Exp(Vector256<double>.Zero - Vector256.LoadUnsafe(ref xs, (nuint)i)))).StoreUnsafe(ref ds, (nuint)i);
        for (; i < x.Length; i++) Unsafe.Add(ref ds, i) = 1.0 / (1.0 + Exp(0.0 - Unsafe.Add(ref xs, i)));
    }

    // Sleef's xtanh (Sleef_tanhd4_u10avx2, torch.tanh's float64 kernel): e^|x| in double-double
    // arithmetic (expk2), then (e - 1/e) / (e + 1/e) in double-double; 1 above 18.714973875.
    // Constants as read from libsleef.so.3.5.1.
    private const double TanhL2U = 0.693147180559663; // 0x3fe62e42fefa3000
    private const double TanhL2L = 2.8235290563031577e-13; // 0x3d53de6af278ece6
    private const double T9 = 1.602472219709932e-10; // 0x3de60632a887194c
    private const double T8 = 2.092255183563157e-09;
    private const double T7 = 2.5052300237826445e-08;
    private const double T6 = 2.7557248009021353e-07;
    private const double T5 = 2.7557318923860444e-06;
    private const double T4 = 2.480158735605815e-05;
    private const double T3 = 0.00019841269841480719;
    private const double T2 = 0.0013888888888867633;
    private const double T1 = 0.008333333333333347;
    private const double T0 = 0.0416666666666667; // 0x3fa555555555555a
    private const double TanhSixth = 0.16666666666666666; // 0x3fc5555555555555
    private const double TanhOne = 18.714973875; // above, tanh rounds to 1

    /// <summary>
    /// tanh x (Sleef's <c>xtanh</c>, the u10 tanh of Sleef 3.5 for AVX2 with FMA, as torch.tanh
    /// calls it): d = e^|x| as a double-double (Cody-Waite reduction, a degree-10 polynomial by
    /// Estrin's scheme, the low terms in double-double), then (d - 1/d) / (d + 1/d) in
    /// double-double, rounded once; 1 for |x| &gt; 18.714973875 and where the computation
    /// overflows; the sign of x; NaN for NaN.
    /// </summary>
    public static double Tanh(double x)
    {
        double y = Math.Abs(x);
        double q = Math.Round((y + 0.0) * RLn2); // round half to even, as roundpd
        double p = q * -TanhL2U;
        double sHi = p + y, v = sHi - y;
        double sLo = ((p - v) + (y - (sHi - v))) + 0.0;
        p = q * -TanhL2L;
        double s2 = p + sHi;
        v = s2 - sHi;
        sLo += (p - v) + (sHi - (s2 - v));
        sHi = s2;
        // t = 1/2 + s/6 (ddmul, ddadd), 1 + t s, 1 + t s (ddmul, ddadd)
        double mHi = sHi * TanhSixth;
        double mLo = Math.FusedMultiplyAdd(sLo, TanhSixth, Math.FusedMultiplyAdd(sHi, TanhSixth, -mHi));
        double tHi = mHi + 0.5;
        double tLo = mLo + (mHi + (0.5 - tHi));
        mHi = tHi * sHi;
        mLo = Math.FusedMultiplyAdd(sLo, tHi, Math.FusedMultiplyAdd(sHi, tLo, Math.FusedMultiplyAdd(tHi, sHi, -mHi)));
        tHi = mHi + 1;
        tLo = (mHi + (1 - tHi)) + mLo;
        mHi = tHi * sHi;
        mLo = Math.FusedMultiplyAdd(tHi, sLo, Math.FusedMultiplyAdd(sHi, tLo, Math.FusedMultiplyAdd(tHi, sHi, -mHi)));
        // s^2, s^4 (ddsqu), s^8; the polynomial u
        double q2Hi = sHi * sHi;
        double q2Lo = Math.FusedMultiplyAdd(sLo, sHi + sHi, Math.FusedMultiplyAdd(sHi, sHi, -q2Hi));
        double q4Hi = q2Hi * q2Hi;
        double q4Lo = Math.FusedMultiplyAdd(q2Lo, q2Hi + q2Hi, Math.FusedMultiplyAdd(q2Hi, q2Hi, -q4Hi));
        double s8 = q4Hi * q4Hi;
        double p98 = Math.FusedMultiplyAdd(sHi, T9, T8);
        double p74 = Math.FusedMultiplyAdd(q2Hi, Math.FusedMultiplyAdd(sHi, T7, T6), Math.FusedMultiplyAdd(sHi, T5, T4));
        double p30 = Math.FusedMultiplyAdd(q2Hi, Math.FusedMultiplyAdd(sHi, T3, T2), Math.FusedMultiplyAdd(sHi, T1, T0));
        double u = Math.FusedMultiplyAdd(s8, p98, Math.FusedMultiplyAdd(q4Hi, p74, p30));
        // t = 1 + t s (ddadd), + s^4 u (ddmul, ddadd)
        tHi = mHi + 1;
        tLo = mLo + (mHi + (1 - tHi));
        double wHi = u * q4Hi;
        double wLo = Math.FusedMultiplyAdd(q4Lo, u, Math.FusedMultiplyAdd(u, q4Hi, -wHi));
        double dHi = wHi + tHi;
        double dLo = wLo + ((wHi + (tHi - dHi)) + tLo);
        // times 2^q
        int e = (int)q;
        int half = e >> 1;
        double pa = Pow2(half), pb = Pow2(e - half);
        dHi = dHi * pa * pb;
        dLo = dLo * pa * pb;
        // 1/d (ddrec), (d - 1/d) / (d + 1/d) (ddadd2 twice, dddiv)
        double r = 1 / dHi;
        double rLo = r * Math.FusedMultiplyAdd(-dLo, r, Math.FusedMultiplyAdd(-dHi, r, 1));
        double numHi = dHi - r;
        v = numHi - dHi;
        double numLo = ((-r - v) + (dHi - (numHi - v))) + (dLo - rLo);
        double denHi = r + dHi;
        v = denHi - dHi;
        double denLo = ((r - v) + (dHi - (denHi - v))) + (rLo + dLo);
        double t = 1 / denHi;
        double zHi = numHi * t;
        double z = Math.FusedMultiplyAdd(-denLo, t, Math.FusedMultiplyAdd(-denHi, t, 1));
        double zLo = Math.FusedMultiplyAdd(zHi, z, Math.FusedMultiplyAdd(t, numLo, Math.FusedMultiplyAdd(t, numHi, -zHi)));
        double result = zLo + zHi;
        if (y > TanhOne || double.IsNaN(result)) result = 1;
        result = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(result) ^ (BitConverter.DoubleToInt64Bits(x) & long.MinValue));
        return double.IsNaN(x) ? BitConverter.Int64BitsToDouble(-1) : result; // NaN as all ones, as Sleef's or
    }

    /// <summary><see cref="Tanh(double)"/> on 4 lanes at once (the same operations, so the same bits).</summary>
    public static Vector256<double> Tanh(Vector256<double> x)
    {
        var y = Vector256.Abs(x);
        var q = Vector256.Round((y + Vector256<double>.Zero) * Vector256.Create(RLn2));
        var p = q * Vector256.Create(-TanhL2U);
        var sHi = p + y;
        var v = sHi - y;
        var sLo = ((p - v) + (y - (sHi - v))) + Vector256<double>.Zero;
        p = q * Vector256.Create(-TanhL2L);
        var s2 = p + sHi;
        v = s2 - sHi;
        sLo += (p - v) + (sHi - (s2 - v));
        sHi = s2;
        var sixth = Vector256.Create(TanhSixth);
        var half1 = Vector256.Create(0.5);
        var one = Vector256.Create(1.0);
        var mHi = sHi * sixth;
        var mLo = Vector256.FusedMultiplyAdd(sLo, sixth, Vector256.FusedMultiplyAdd(sHi, sixth, -mHi));
        var tHi = mHi + half1;
        var tLo = mLo + (mHi + (half1 - tHi));
        mHi = tHi * sHi;
        mLo = Vector256.FusedMultiplyAdd(sLo, tHi, Vector256.FusedMultiplyAdd(sHi, tLo, Vector256.FusedMultiplyAdd(tHi, sHi, -mHi)));
        tHi = mHi + one;
        tLo = (mHi + (one - tHi)) + mLo;
        mHi = tHi * sHi;
        mLo = Vector256.FusedMultiplyAdd(tHi, sLo, Vector256.FusedMultiplyAdd(sHi, tLo, Vector256.FusedMultiplyAdd(tHi, sHi, -mHi)));
        var q2Hi = sHi * sHi;
        var q2Lo = Vector256.FusedMultiplyAdd(sLo, sHi + sHi, Vector256.FusedMultiplyAdd(sHi, sHi, -q2Hi));
        var q4Hi = q2Hi * q2Hi;
        var q4Lo = Vector256.FusedMultiplyAdd(q2Lo, q2Hi + q2Hi, Vector256.FusedMultiplyAdd(q2Hi, q2Hi, -q4Hi));
        var s8 = q4Hi * q4Hi;
        var p98 = Vector256.FusedMultiplyAdd(sHi, Vector256.Create(T9), Vector256.Create(T8));
        var p74 = Vector256.FusedMultiplyAdd(q2Hi,
            Vector256.FusedMultiplyAdd(sHi, Vector256.Create(T7), Vector256.Create(T6)),
            Vector256.FusedMultiplyAdd(sHi, Vector256.Create(T5), Vector256.Create(T4)));
        var p30 = Vector256.FusedMultiplyAdd(q2Hi,
            Vector256.FusedMultiplyAdd(sHi, Vector256.Create(T3), Vector256.Create(T2)),
            Vector256.FusedMultiplyAdd(sHi, Vector256.Create(T1), Vector256.Create(T0)));
        var u = Vector256.FusedMultiplyAdd(s8, p98, Vector256.FusedMultiplyAdd(q4Hi, p74, p30));
        tHi = mHi + one;
        tLo = mLo + (mHi + (one - tHi));
        var wHi = u * q4Hi;
        var wLo = Vector256.FusedMultiplyAdd(q4Lo, u, Vector256.FusedMultiplyAdd(u, q4Hi, -wHi));
        var dHi = wHi + tHi;
        var dLo = wLo + ((wHi + (tHi - dHi)) + tLo);
        // q is a whole number, |q| <= 27 wherever the result is used (other lanes become 1 below).
        var half = Vector256.Floor(q * half1);
        var pa = Pow2(half);
        var pb = Pow2(q - half);
        dHi = dHi * pa * pb;
        dLo = dLo * pa * pb;
        var r = one / dHi;
        var rLo = r * Vector256.FusedMultiplyAdd(-dLo, r, Vector256.FusedMultiplyAdd(-dHi, r, one));
        var numHi = dHi - r;
        v = numHi - dHi;
        var numLo = ((-r - v) + (dHi - (numHi - v))) + (dLo - rLo);
        var denHi = r + dHi;
        v = denHi - dHi;
        var denLo = ((r - v) + (dHi - (denHi - v))) + (rLo + dLo);
        var t = one / denHi;
        var zHi = numHi * t;
        var z = Vector256.FusedMultiplyAdd(-denLo, t, Vector256.FusedMultiplyAdd(-denHi, t, one));
        var zLo = Vector256.FusedMultiplyAdd(zHi, z, Vector256.FusedMultiplyAdd(t, numLo, Vector256.FusedMultiplyAdd(t, numHi, -zHi)));
        var result = zLo + zHi;
        result = Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256.Create(TanhOne)) | ~Vector256.Equals(result, result), one, result);
        result ^= x & Vector256.Create(-0.0);
        return result | ~Vector256.Equals(x, x); // NaN as all ones, as Sleef's or
    }

    /// <summary><c>d[i] = tanh x[i]</c>, 4 at a time; the tail through the scalar form (the same bits).</summary>
    public static void Tanh(ReadOnlySpan<double> x, Span<double> d)
    {
        if (d.Length < x.Length) throw new ArgumentException("Destination too short.", nameof(d));
        ref double xs = ref MemoryMarshal.GetReference(x);
        ref double ds = ref MemoryMarshal.GetReference(d);
        int i = 0;
        for (; i + 4 <= x.Length; i += 4) Tanh(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
        for (; i < x.Length; i++) Unsafe.Add(ref ds, i) = Tanh(Unsafe.Add(ref xs, i));
    }
}
