"""How the streamed pipeline's cost grows with model size: a table and a log-log chart from bench_pipeline.py's --json files.

Each shape's parameter count comes from the file's `params` (bench_pipeline.py records it); rows of shapes without one,
and shapes named with --skip, are left out. Later files win where two hold the same (shape, stage), so a list of files
in run order gives each stage's newest measurement; mixing runs of different code versions mixes their costs, so give
the files of one version.

Usage: python benchmarks/chart_pipeline_scaling.py results.json [more.json ...] [--chart scaling.html] [--skip SHAPE ...]
"""
import argparse, json
from pathlib import Path

STAGES = ('write', 'sensitivity', 'allocate', 'gptq', 'decode')

def collect(files:list, skip:list=()) -> tuple:
    "(params per shape, {(shape, stage): row}) from bench_pipeline --json files."
    params, rows = {}, {}
    for f in files:
        d = json.loads(Path(f).read_text())
        params.update(d.get('params', {}))
        for r in d['rows']: rows[(r['shape'], r['stage'])] = r
    keep = {s for s in params if s not in skip}
    return {s: params[s] for s in keep}, {k: r for k, r in rows.items() if k[0] in keep}

def table(params:dict, rows:dict) -> str:
    "Seconds and peak device GB of each stage, by shape in order of size."
    head = f"{'shape':<22} {'params':>8} " + ' '.join(f'{s:>17}' for s in STAGES)
    lines = [head, f"{'':<22} {'':>8} " + ' '.join(f"{'s / peak GB':>17}" for _ in STAGES)]
    for shape in sorted(params, key=params.get):
        cells = [f"{rows[(shape, s)]['seconds']:8.1f} / {rows[(shape, s)]['peak_device_gb']:6.2f}" if (shape, s) in rows else f"{'-':>17}" for s in STAGES]
        lines.append(f"{shape:<22} {params[shape] / 1e9:7.2f}B " + ' '.join(cells))
    return '\n'.join(lines)

def chart(params:dict, rows:dict):
    "Two log-log panels: seconds and peak device memory of each stage against the parameter count."
    import altair as alt
    data = [dict(shape=shape, params=params[shape], stage=stage, seconds=r['seconds'], peak_gb=r['peak_device_gb'])
            for (shape, stage), r in rows.items() if r['seconds'] > 0 and r['peak_device_gb'] > 0]
    base = alt.Chart(alt.Data(values=data)).mark_line(point=True).encode(
        x=alt.X('params:Q', scale=alt.Scale(type='log'), title='parameters'), color=alt.Color('stage:N', sort=list(STAGES)),
        tooltip=['shape:N', 'stage:N', 'seconds:Q', 'peak_gb:Q'])
    return alt.hconcat(base.encode(y=alt.Y('seconds:Q', scale=alt.Scale(type='log'), title='seconds')).properties(title='time'),
                       base.encode(y=alt.Y('peak_gb:Q', scale=alt.Scale(type='log'), title='peak device GB')).properties(title='peak device memory'))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('files', nargs='+')
    ap.add_argument('--chart', help='write the altair chart here (.html or .json)')
    ap.add_argument('--skip', nargs='*', default=[], help='shapes to leave out')
    a = ap.parse_args()
    params, rows = collect(a.files, a.skip)
    if not params: raise SystemExit('chart_pipeline_scaling: error: no shape with a parameter count in these files (bench_pipeline.py records it)')
    print(table(params, rows))
    if a.chart: chart(params, rows).save(a.chart)

if __name__ == '__main__': main()
