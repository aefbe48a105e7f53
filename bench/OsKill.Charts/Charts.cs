using System.Globalization;
using ScottPlot;
using ScottPlot.Plottables;

namespace OsKill.Bench;

/// <summary>The PNG charts of docs/benchmarks.md, drawn with ScottPlot.</summary>
internal sealed partial class Charts(Results results, string dir)
{
    public const string PerCallFile = "percall.png";
    public const string LatencyFile = "latency.png";
    public const string TreeFile = "tree.png";

    public List<string> WriteAll()
    {
        var written = new List<string>();
        if (PerCall() is { } a)
        {
            written.Add(a);
        }

        if (Latency() is { } b)
        {
            written.Add(b);
        }

        if (Tree() is { } c)
        {
            written.Add(c);
        }

        if (SupervisionKill() is { } d)
        {
            written.Add(d);
        }

        return written;
    }

    /// <summary>Per-call cost: one bar per way of checking a pid, the C floor as a vertical line.</summary>
    private string? PerCall()
    {
        if (results.PerCall is not { Rows.Count: > 0 } perCall)
        {
            return null;
        }

        var rows = perCall.Rows.Select(r => (Name: r.Name, Ns: r.MeanNs, Ours: r.Name.StartsWith("Os.", StringComparison.Ordinal) || r.Name.StartsWith("ProcessHandle", StringComparison.Ordinal))).ToList();
        if (results.FloorPython is { } py)
        {
            rows.Add((py.Name, py.NsPerCall, false));
        }

        if (results.FloorC is { } c)
        {
            rows.Add((c.Name, c.NsPerCall, false));
        }

        rows.Reverse(); // ScottPlot draws position 0 at the bottom; keep the table's order from the top.
        var plot = new Plot();
        Bar[] bars = rows.Select((r, i) => new Bar
        {
            Position = i,
            Value = r.Ns,
            FillColor = r.Ours ? Colors.SteelBlue : Colors.Gray,
            Label = Format.Ns(r.Ns),
        }).ToArray();
        BarPlot barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. rows.Select((_, i) => (double)i)], [.. rows.Select(r => r.Name)]);
        if (results.FloorC is { } floor)
        {
            VerticalLine line = plot.Add.VerticalLine(floor.NsPerCall, 2, Colors.Red, LinePattern.Dashed);
            line.LegendText = $"C floor: {Format.Ns(floor.NsPerCall)}";
            plot.ShowLegend(Alignment.LowerRight);
        }

        plot.Axes.Margins(left: 0, right: 0.15);
        plot.Title("One existence check, kill(pid, 0): mean time per call (blue: OsKill)");
        plot.XLabel("ns per call (lower is better)");
        return Save(plot, PerCallFile, 1000, 120 + (rows.Count * 45));
    }

    /// <summary>Stop latency: the distribution of each method as a cumulative curve, log time axis.</summary>
    private string? Latency()
    {
        if (results.Latency is not { Cases.Count: > 0 } latency)
        {
            return null;
        }

        var plot = new Plot();
        var all = new List<double>();
        int color = 0;
        foreach (LatencyCase c in latency.Cases.Where(c => c.SamplesUs.Count > 0))
        {
            double[] sorted = [.. c.SamplesUs.Where(v => v > 0).Order()];
            if (sorted.Length == 0)
            {
                continue;
            }

            double[] xs = [.. sorted.Select(Math.Log10)];
            double[] ys = [.. sorted.Select((_, i) => 100.0 * (i + 1) / sorted.Length)];
            Scatter line = plot.Add.Scatter(xs, ys, plot.Add.Palette.GetColor(color++));
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.MarkerSize = sorted.Length < 20 ? 5 : 0;
            line.LineWidth = 2;
            line.LinePattern = c.From == "send" ? LinePattern.Dashed : LinePattern.Solid;
            line.LegendText = $"{c.Name}, from {c.From}";
            all.AddRange(sorted);
        }

        if (all.Count == 0)
        {
            return null;
        }

        VerticalLine target = plot.Add.VerticalLine(3, 1, Colors.Black, LinePattern.Dotted);
        target.LegendText = "target: 1 ms after the exit";
        LogTicks(plot.Axes.Bottom, all.Min(), all.Max(), "µs");
        plot.Axes.SetLimitsY(0, 100);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Title("Stop latency: share of runs that returned within a time (solid: after the child's exit; dashed: after the stop call)");
        plot.XLabel("time, log scale (left is better)");
        plot.YLabel("% of runs");
        return Save(plot, LatencyFile, 1100, 650);
    }

    /// <summary>Tree kill: median time against tree size, one line per method and kind, both axes log.</summary>
    private string? Tree()
    {
        if (results.Tree is not { Cases.Count: > 0 } tree)
        {
            return null;
        }

        var plot = new Plot();
        int color = 0;
        var ys = new List<double>();
        var sizes = new SortedSet<int>();
        foreach (IGrouping<(string Method, string Kind), TreeCase> group in tree.Cases.GroupBy(c => (c.Method, c.Kind)))
        {
            TreeCase[] points = [.. group.OrderBy(c => c.Size)];
            double[] x = [.. points.Select(p => Math.Log10(p.Size))];
            double[] y = [.. points.Select(p => Math.Log10(Math.Max(p.MedianMs, 0.01)))];
            Scatter line = plot.Add.Scatter(x, y, plot.Add.Palette.GetColor(color++));
            line.LineWidth = 2;
            line.MarkerSize = 8;
            line.LinePattern = group.Key.Kind == "forking" ? LinePattern.Dashed : LinePattern.Solid;
            bool timedOut = points.Any(p => p.Runs.Any(r => r.TimedOut));
            line.LegendText = $"{group.Key.Method}, {group.Key.Kind}{(timedOut ? " (some runs gave up at the cap)" : "")}";
            ys.AddRange(points.Select(p => Math.Max(p.MedianMs, 0.01)));
            sizes.UnionWith(points.Select(p => p.Size));
        }

        HorizontalLine target = plot.Add.HorizontalLine(3, 1, Colors.Black, LinePattern.Dotted);
        target.LegendText = "target: 1 s for a forking tree of 1000";
        ys.Add(1000);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. sizes.Select(s => Math.Log10(s))], [.. sizes.Select(s => s.ToString(CultureInfo.InvariantCulture))]);
        LogTicks(plot.Axes.Left, ys.Min(), ys.Max(), "ms");
        plot.ShowLegend(Alignment.LowerRight);
        plot.Title("Tree kill: median time to kill a tree (solid: static; dashed: forking)");
        plot.XLabel("processes in the tree (log scale)");
        plot.YLabel("time, log scale (lower is better)");
        return Save(plot, TreeFile, 1000, 600);
    }

    /// <summary>Ticks at 1, 10, 100… of <paramref name="unit"/> on an axis that holds log10 values.</summary>
    private static void LogTicks(ScottPlot.IAxis axis, double min, double max, string unit)
    {
        int lo = (int)Math.Floor(Math.Log10(min));
        int hi = (int)Math.Ceiling(Math.Log10(max));
        var positions = new List<double>();
        var labels = new List<string>();
        for (int e = lo; e <= hi; e++)
        {
            positions.Add(e);
            labels.Add(Format.Pow10(e, unit));
        }

        axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. positions], [.. labels]);
        axis.Min = lo - 0.05;
        axis.Max = hi + 0.05;
    }

    private string Save(Plot plot, string name, int width, int height)
    {
        string path = Path.Combine(dir, name);
        plot.SavePng(path, width, height);
        return path;
    }
}

/// <summary>Numbers as the page prints them.</summary>
internal static class Format
{
    public static string Ns(double ns) => ns >= 10_000
        ? (ns / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " µs"
        : ns >= 1000 ? (ns / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " µs" : ns.ToString("0", CultureInfo.InvariantCulture) + " ns";

    public static string Us(double us) => double.IsNaN(us) ? "–" : us >= 10_000
        ? (us / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " ms"
        : us >= 1000 ? (us / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " ms" : us.ToString("0", CultureInfo.InvariantCulture) + " µs";

    public static string Ms(double ms) => double.IsNaN(ms) ? "–" : ms >= 10_000
        ? (ms / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " s"
        : ms >= 1000 ? (ms / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s" : ms.ToString(ms >= 10 ? "0" : "0.0", CultureInfo.InvariantCulture) + " ms";

    public static string Ratio(double r) => double.IsNaN(r) || double.IsInfinity(r) ? "–" : r.ToString(r >= 10 ? "0" : "0.00", CultureInfo.InvariantCulture) + "×";

    /// <summary>10^e of a unit as a tick label: "100 µs", "1 ms", "10 s".</summary>
    public static string Pow10(int e, string unit)
    {
        string[] units = ["ns", "µs", "ms", "s"];
        int u = Array.IndexOf(units, unit);
        while (e >= 3 && u < units.Length - 1)
        {
            e -= 3;
            u++;
        }

        return Math.Pow(10, e).ToString(e < 0 ? "0.###" : "0", CultureInfo.InvariantCulture) + " " + units[u];
    }

    public static string N(double v, string format = "0") => v.ToString(format, CultureInfo.InvariantCulture);
}
