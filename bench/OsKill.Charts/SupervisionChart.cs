using ScottPlot;
using ScottPlot.Plottables;

namespace OsKill.Bench;

/// <summary>Section 5's chart: each kill of 1000 sleeping members as a ratio to the raw cgroup.kill write of the same round.</summary>
internal sealed partial class Charts
{
    public const string SupervisionFile = "supervision.png";

    /// <summary>One bar per method: the median of the rounds' ratios, a whisker from the lowest to the highest; the goals as lines.</summary>
    private string? SupervisionKill()
    {
        if (results.Supervision is not { Kill.Count: > 0 } s)
        {
            return null;
        }

        List<KillCase> rows = [.. s.Kill];
        rows.Reverse(); // ScottPlot draws position 0 at the bottom; keep the table's order from the top.
        var plot = new Plot();
        Bar[] bars = [.. rows.Select((c, i) => new Bar
        {
            Position = i,
            Value = c.RatioMedian,
            FillColor = c.Method.StartsWith("raw", StringComparison.Ordinal) ? Colors.Gray : Colors.SteelBlue,
        })];
        BarPlot barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        for (int i = 0; i < rows.Count; i++)
        {
            Scatter range = plot.Add.Scatter(new double[] { rows[i].RatioMin, rows[i].RatioMax }, new double[] { i, i }, Colors.Black);
            range.LineWidth = 2;
            range.MarkerSize = 6;
        }

        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. rows.Select((_, i) => (double)i)], [.. rows.Select(c => c.Method)]);
        VerticalLine container = plot.Add.VerticalLine(1.2, 2, Colors.Red, LinePattern.Dashed);
        container.LegendText = "goal for the container: 1.2×";
        VerticalLine walk = plot.Add.VerticalLine(1.5, 2, Colors.Orange, LinePattern.Dashed);
        walk.LegendText = "goal for the freeze-walk: 1.5×";
        plot.ShowLegend(Alignment.UpperRight);
        plot.Axes.Margins(left: 0, right: 0.1);
        plot.Title($"{s.Size} sleeping members, until the last is gone: over the raw write");
        plot.XLabel($"ratio, median of {s.Rounds} rounds; line: lowest to highest (lower is better)");
        return Save(plot, SupervisionFile, 1200, 160 + (rows.Count * 55));
    }
}
