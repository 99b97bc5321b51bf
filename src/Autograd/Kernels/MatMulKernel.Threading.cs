// Part of MatMulKernel: ForkJoin and the multi-threaded schedule of the blocked driver (work units, shared state).

using System.Buffers;

namespace Autograd.Kernels;

internal static unsafe partial class MatMulKernel
{
    /// <summary>
    /// A minimal fork-join over work items 0..count-1, for the parallel schedules. The calling
    /// thread works too, and items are claimed one at a time from a shared counter, so a helper
    /// that starts late (the machine is busy) just finds less to do; the caller waits only for
    /// items already claimed, never for a helper to be scheduled. Which thread runs an item never
    /// changes what the item computes. Also used by other row-parallel kernels
    /// (<see cref="ParallelKernels.ForParts"/>).
    /// </summary>
    internal sealed class ForkJoin
    {
        private readonly Action<int> body;
        private readonly int count;
        private readonly ManualResetEventSlim done = new(false, 64);
        private int next = -1;
        private int pending;
        private Exception? error;

        private ForkJoin(int count, Action<int> body)
        {
            this.count = count;
            this.body = body;
            pending = count;
        }

        /// <summary>Runs <paramref name="body"/> for every item, on up to <paramref name="threads"/> threads.</summary>
        public static void Run(int count, int threads, Action<int> body)
        {
            if (threads <= 1 || count <= 1)
            {
                for (int i = 0; i < count; i++)
                {
                    body(i);
                }

                return;
            }

            var job = new ForkJoin(count, body);
            int helpers = Math.Min(threads, count) - 1;
            for (int h = HelperThreads.Post(job, helpers); h < helpers; h++)
            {
                // Every dedicated helper is busy (another caller's kernel): the thread pool's.
                ThreadPool.UnsafeQueueUserWorkItem(static j => j.Work(), job, preferLocal: false);
            }

            job.Work();
            if (Volatile.Read(ref job.pending) != 0)
            {
                job.done.Wait();
            }

            if (job.error is { } error)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }
        }

        internal void Work()
        {
            int item;
            while ((item = Interlocked.Increment(ref next)) < count)
            {
                try
                {
                    body(item);
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref error, ex, null);
                }
                finally
                {
                    if (Interlocked.Decrement(ref pending) == 0)
                    {
                        done.Set();
                    }
                }
            }
        }
    }

    /// <summary>
    /// Dedicated helper threads for <see cref="ForkJoin"/> that keep spinning for a while after a
    /// job, as OpenMP's workers do. A thread-pool worker that has gone to sleep takes more than
    /// 50 us to wake here (a VM; measured: two 50 us halves took 108 us after 1 ms of serial work),
    /// which is as long as a whole parallel kernel of a small model's step; a spinning helper
    /// starts within a microsecond. Helpers spin for <see cref="SpinMicroseconds"/> after their
    /// last job, then block until the next one.
    /// </summary>
    internal static class HelperThreads
    {
        /// <summary>How long an idle helper spins before it blocks (the gaps between the parallel kernels of one training step are shorter).</summary>
        private const double SpinMicroseconds = 1000;

        private static readonly object Gate = new();
        private static Worker[] workers = [];

        /// <summary>Hands <paramref name="job"/> to up to <paramref name="wanted"/> idle helpers (creating them as needed); returns how many took it.</summary>
        public static int Post(ForkJoin job, int wanted)
        {
            var all = Volatile.Read(ref workers);
            if (all.Length < wanted) all = Grow(wanted);
            int posted = 0;
            for (int i = 0; i < all.Length && posted < wanted; i++)
            {
                if (all[i].TryAssign(job)) posted++;
            }
            return posted;
        }

        private static Worker[] Grow(int count)
        {
            lock (Gate)
            {
                if (workers.Length >= count) return workers;
                var grown = new Worker[count];
                Array.Copy(workers, grown, workers.Length);
                for (int i = workers.Length; i < count; i++) grown[i] = new Worker(i);
                Volatile.Write(ref workers, grown);
                return grown;
            }
        }

        private sealed class Worker
        {
            private readonly SemaphoreSlim wake = new(0);
            private ForkJoin? job;
            private int busy; // 1 from assignment until the job is done
            private int sleeping; // 1 while blocked (or about to block) on wake

            public Worker(int index)
            {
                var thread = new Thread(Loop) { IsBackground = true, Name = $"Autograd kernel helper {index + 1}" };
                thread.Start();
            }

            public bool TryAssign(ForkJoin work)
            {
                if (Interlocked.CompareExchange(ref busy, 1, 0) != 0)
                {
                    // Usually the helper is just leaving this caller's previous job, whose last item
                    // the caller took itself (back-to-back kernels such as an LSTM's steps): a moment's
                    // wait beats handing the job to a thread-pool worker that has to be woken.
                    for (int i = 0; i < 64 && Volatile.Read(ref busy) != 0; i++) Thread.SpinWait(8);
                    if (Interlocked.CompareExchange(ref busy, 1, 0) != 0) return false;
                }
                Interlocked.Exchange(ref job, work); // a full fence: the read of sleeping below cannot move before it
                if (Volatile.Read(ref sleeping) == 1) wake.Release();
                return true;
            }

            private void Loop()
            {
                long idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
                while (true)
                {
                    var work = Interlocked.Exchange(ref job, null);
                    if (work is not null)
                    {
                        work.Work();
                        Volatile.Write(ref busy, 0);
                        idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
                        continue;
                    }
                    if (System.Diagnostics.Stopwatch.GetElapsedTime(idleSince).TotalMicroseconds < SpinMicroseconds)
                    {
                        Thread.SpinWait(20);
                        continue;
                    }
                    Interlocked.Exchange(ref sleeping, 1); // a full fence before the re-check of job
                    if (Volatile.Read(ref job) is null) wake.Wait();
                    Volatile.Write(ref sleeping, 0);
                    idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
                }
            }
        }
    }

    private static partial class Driver<T, TTile>
        where T : unmanaged
        where TTile : struct, IMicroTile<T>
    {
        /// <summary>
        /// The multi-threaded schedule. For each (column block, k slice) the B panel is packed once,
        /// by all threads, then the block of C is cut into work units (a row block × a range of B
        /// micro-panels) handed out dynamically, so a thread slowed down by another process simply
        /// takes fewer units. Each unit packs its own A block.
        /// </summary>
        private static void RunParallel(in Problem<T> p, int threads)
        {
            int mr = TTile.MR, nr = TTile.NR, k = p.K;
            int kc = CeilDiv(k, CeilDiv(k, TTile.KC));
            int nc = Math.Min(RoundUp(CeilDiv(p.N, CeilDiv(p.N, TTile.NC)), nr), RoundUp(p.N, nr));

            // Aim for a few units per thread so the dynamic hand-out can balance the load.
            int targetUnits = 8 * threads;
            int mc = Math.Clamp(RoundUp(CeilDiv(p.M, targetUnits), mr), 4 * mr, RoundUp(TTile.MC, mr));
            int rowBlocks = CeilDiv(p.M, mc);
            mc = CeilDiv(CeilDiv(p.M, mr), rowBlocks) * mr; // the tallest block; see RowStart

            var state = new ParallelState(p, kc, mc, rowBlocks, DirectA(p), DirectB(p));
            T[] bBuffer = ArrayPool<T>.Shared.Rent((state.DirectB ? 0 : nc * kc) + (PanelAlignment / sizeof(T)));
            try
            {
                fixed (T* bRaw = bBuffer)
                {
                    state.BPack = Align(bRaw);
                    for (int jc = 0; jc < p.N; jc += nc)
                    {
                        int ncCur = Math.Min(nc, p.N - jc);
                        int panels = CeilDiv(ncCur, nr);
                        int colChunks = Math.Clamp(CeilDiv(targetUnits, rowBlocks), 1, CeilDiv(panels, 4));
                        state.Jc = jc;
                        state.Nc = ncCur;
                        state.PanelsPerChunk = CeilDiv(panels, colChunks);
                        state.ColChunks = CeilDiv(panels, state.PanelsPerChunk);
                        for (int pc = 0; pc < k; pc += kc)
                        {
                            state.Pc = pc;
                            state.KcCur = Math.Min(kc, k - pc);
                            state.Load = p.Accumulate || pc > 0;

                            // Pack the B panel: in parallel when it is big enough to be worth it.
                            int packChunks = Math.Min(threads, CeilDiv(panels, 4));
                            if (state.DirectB)
                            {
                                // Read in place; units pack their own ragged edge panel.
                            }
                            else if (packChunks > 1)
                            {
                                state.PackChunk = CeilDiv(panels, packChunks);
                                ForkJoin.Run(packChunks, threads, state.PackBChunk);
                            }
                            else
                            {
                                PackB(p, pc, state.KcCur, jc, ncCur, state.BPack);
                            }

                            ForkJoin.Run(rowBlocks * state.ColChunks, threads, state.ComputeUnit);
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(bBuffer);
            }
        }

        /// <summary>What the workers of <see cref="RunParallel"/> share for one (column block, k slice) step.</summary>
        private sealed class ParallelState
        {
            public readonly Problem<T> Problem;
            public readonly int Kc;
            public readonly int Mc;
            public readonly int RowBlocks;
            public readonly bool DirectA;
            public readonly bool DirectB;
            public readonly Action<int> PackBChunk;
            public readonly Action<int> ComputeUnit;
            public T* BPack;
            public int Jc;
            public int Nc;
            public int PanelsPerChunk;
            public int ColChunks;
            public int Pc;
            public int KcCur;
            public int PackChunk;
            public bool Load;

            public ParallelState(in Problem<T> problem, int kc, int mc, int rowBlocks, bool directA, bool directB)
            {
                Problem = problem;
                Kc = kc;
                Mc = mc;
                RowBlocks = rowBlocks;
                DirectA = directA;
                DirectB = directB;
                PackBChunk = PackBPanels;
                ComputeUnit = Compute;
            }

            /// <summary>First row of a row block: the MR-row tiles are shared out as evenly as possible.</summary>
            private int RowStart(int rowBlock)
            {
                int mr = TTile.MR;
                long tiles = CeilDiv(Problem.M, mr);
                return (int)Math.Min(Problem.M, tiles * rowBlock / RowBlocks * mr);
            }

            private void PackBPanels(int chunk)
            {
                int nr = TTile.NR;
                int j0 = chunk * PackChunk * nr;
                int j1 = Math.Min(Nc, j0 + (PackChunk * nr));
                if (j1 > j0)
                {
                    PackB(Problem, Pc, KcCur, Jc + j0, j1 - j0, BPack + ((nint)j0 * KcCur));
                }
            }

            private void Compute(int unit)
            {
                int mr = TTile.MR, nr = TTile.NR;
                int rowBlock = unit / ColChunks, colChunk = unit % ColChunks;
                int ic = RowStart(rowBlock);
                int mcCur = RowStart(rowBlock + 1) - ic;
                int j0 = colChunk * PanelsPerChunk * nr;
                int j1 = Math.Min(Nc, j0 + (PanelsPerChunk * nr));
                if (mcCur <= 0 || j1 <= j0)
                {
                    return;
                }

                // One buffer for this unit's packed A block and (direct B) its ragged B edge panel.
                int aLength = DirectA ? 0 : RoundUp(Mc * Kc, PanelAlignment / sizeof(T));
                T[] buffer = ArrayPool<T>.Shared.Rent(aLength + (DirectB ? nr * Kc : 0) + (PanelAlignment / sizeof(T)));
                try
                {
                    fixed (T* raw = buffer)
                    {
                        T* aPack = Align(raw);
                        ref readonly Problem<T> p = ref Problem;
                        Panels aPanels, bPanels;
                        if (DirectA)
                        {
                            aPanels = Panels.Direct(p.A + (ic * p.ARow) + (Pc * p.ADepth), mr, p.ARow, p.ADepth);
                        }
                        else
                        {
                            PackA(p, ic, mcCur, Pc, KcCur, aPack);
                            aPanels = Panels.PackedPanels(aPack, mr, KcCur);
                        }

                        bPanels = DirectB
                            ? Panels.Direct(p.B + Jc + j0 + (Pc * p.BDepth), nr, 1, p.BDepth)
                            : Panels.PackedPanels(BPack + ((nint)j0 * KcCur), nr, KcCur);
                        Macro(p.C + ((nint)ic * p.N) + Jc + j0, p.N, mcCur, j1 - j0, KcCur, aPanels, bPanels, aPack + aLength, Load);
                    }
                }
                finally
                {
                    ArrayPool<T>.Shared.Return(buffer);
                }
            }
        }
    }
}
