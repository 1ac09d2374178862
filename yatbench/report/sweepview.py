"""A sweep seen as a sweep: the keys a dataset's runs were swept over, and one point per configuration.

A *swept key* is a recorded config key (``trainer.lr``, ``model.hidden``, ``model.epsilon``,
``dataset.noise`` …) that takes more than one value among the finished runs of one model on one
dataset. Each configuration (runs that differ only by seed) is one point: its value of every swept
key, the headline metric's mean with its 95% interval over seeds, and n. Nothing is pooled across
configurations.

The points feed the metric-against-key figures (:mod:`yatbench.report.figures.sweep`) and the page's
interactive view: parallel coordinates of every configuration, or the metric against one key, drawn
by a few lines of inline JavaScript into SVG (:data:`SCRIPT`; no library, no network).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from yatbench.core.narrow import seed_range
from yatbench.core.record import LOWER_IS_BETTER
from yatbench.report.load import config_columns, show_value
from yatbench.report.runlog import cfg_anchor
from yatbench.report.stats import summarize
from yatbench.report.tables import col


@dataclass
class SweepPoints:
    """The configurations of one dataset: the swept keys, the headline metric, one row per configuration."""

    dataset: str
    keys: list[str]
    metric: str  # the column, e.g. test_accuracy
    lower_is_better: bool
    points: pd.DataFrame  # model, variant, label, one column per swept key (as shown), n, mean, lo, hi, seeds


def swept_keys(frame: pd.DataFrame) -> list[str]:
    """Config keys with more than one value among the finished runs of some model in ``frame`` (one dataset)."""
    ok = frame[frame["status"] == "ok"]
    keys = []
    for key in config_columns(ok):
        for _, by_model in ok.groupby("model", sort=False):
            if by_model[key].map(show_value).nunique() > 1:
                keys.append(key)
                break
    return keys


def headline_column(frame: pd.DataFrame) -> str:
    recorded = col(frame, "metric").dropna()
    return f"test_{recorded.iloc[0]}" if len(recorded) else "test_accuracy"


def sweep_points(runs: pd.DataFrame, dataset: str) -> SweepPoints | None:
    """The configurations of ``dataset`` with their swept values and headline summary, or None when nothing
    was swept (one configuration per model)."""
    frame = runs[(runs["dataset"] == dataset) & (runs["status"] == "ok")] if not runs.empty else runs
    if frame.empty:
        return None
    keys = swept_keys(frame)
    if not keys:
        return None
    metric = headline_column(frame)
    rows = []
    for variant in dict.fromkeys(frame["variant"]):
        runs_of = frame[frame["variant"] == variant]
        first = runs_of.iloc[0]
        stat = summarize(col(runs_of, metric).dropna(), bounded=metric == "test_accuracy")
        rows.append({"model": str(first["model"]), "variant": str(variant), "label": str(first["variant_label"]),
                     **{k: show_value(first[k]) for k in keys}, "n": stat.n, "mean": stat.mean, "lo": stat.lo,
                     "hi": stat.hi, "seeds": seed_range(runs_of["seed"].tolist())})
    name = metric.removeprefix("test_")
    return SweepPoints(dataset, keys, metric, LOWER_IS_BETTER.get(name, False), pd.DataFrame(rows))


def as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def order_values(values: list[str]) -> list[str]:
    """A key's values in reading order: by number when they all are numbers, lists by length then entries."""
    unique = list(dict.fromkeys(values))
    if all(as_number(v) is not None for v in unique):
        return sorted(unique, key=lambda v: as_number(v) or 0.0)

    def sort_key(text: str) -> tuple[int, Any, str]:
        try:
            parsed = json.loads(text)
        except ValueError:
            return (2, (), text)
        if isinstance(parsed, list) and all(isinstance(p, (int, float)) for p in parsed):
            return (0, (len(parsed), *parsed), text)
        return (1, (), text)

    return sorted(unique, key=sort_key)


def view_data(sweep: SweepPoints) -> dict[str, Any]:
    """What the page's script draws for one dataset (plain JSON: strings and finite numbers)."""
    def finite(value: float) -> float | None:
        # 6 significant digits, not 6 decimals: an MSE of 1e-9 stays 1e-9 on the view's log axis, not 0
        return None if value is None or not math.isfinite(value) else float(f"{float(value):.6g}")

    rows = []
    for _, point in sweep.points.iterrows():
        rows.append({"model": point["model"], "values": [point[k] for k in sweep.keys], "n": int(point["n"]),
                     "mean": finite(point["mean"]), "lo": finite(point["lo"]), "hi": finite(point["hi"]),
                     "label": point["label"] or point["model"], "href": f"#{cfg_anchor(point['variant'])}",
                     "seeds": point["seeds"]})
    return {"dataset": sweep.dataset, "keys": sweep.keys, "orders": [order_values(list(sweep.points[k]))
                                                                    for k in sweep.keys],
            "metric": sweep.metric, "lower": sweep.lower_is_better, "rows": rows}


def points_table(sweep: SweepPoints) -> pd.DataFrame:
    """The configurations as a table (the view's numbers, and what index.md shows in its place)."""
    frame = sweep.points
    out = pd.DataFrame({"model": frame["model"]})
    for key in sweep.keys:
        out[key] = frame[key]
    out["n"] = frame["n"]
    out[f"{sweep.metric} mean"] = frame["mean"].map(lambda v: "—" if v != v else f"{v:.4g}")
    out["95% CI"] = [("—" if lo != lo else f"[{lo:.4g}, {hi:.4g}]") for lo, hi in zip(frame["lo"], frame["hi"],
                                                                                     strict=True)]
    out["configuration"] = [f"[{v}](#{cfg_anchor(v)})" for v in frame["variant"]]
    return out


def view_html(sweep: SweepPoints) -> str:
    """The interactive view's element: its data as JSON; :data:`SCRIPT` draws it when the page loads."""
    data = json.dumps(view_data(sweep), separators=(",", ":")).replace("</", "<\\/")
    return (f"<div class='sweepview' data-dataset='{html.escape(sweep.dataset)}'><noscript>(the interactive "
            f"view needs JavaScript; the table below holds the same numbers)</noscript>"
            f"<script type='application/json'>{data}</script></div>")


# Parallel coordinates (an axis per swept key, then the metric; a line per configuration) or the metric
# against one key (a point per configuration with its 95% interval). Hover: a tooltip; click: the configuration.
SCRIPT = r"""
(function(){var NS='http://www.w3.org/2000/svg',COL={yat:'#0072B2',linear:'#E69F00',relu:'#009E73',
attention:'#CC79A7'},SPARE=['#D55E00','#56B4E9','#000000','#F0E442'];
function el(p,t,a,txt){var e=document.createElementNS(NS,t);for(var k in a)e.setAttribute(k,a[k]);
if(txt!==undefined)e.textContent=txt;p.appendChild(e);return e}
function fmt(v){return v===null?'–':(Math.abs(v)>=1e4||Math.abs(v)<1e-3&&v!==0)?v.toExponential(2):+v.toPrecision(4)}
function axis(vals,order){var nums=order.map(Number),isNum=order.every(function(v){return v!==''&&isFinite(+v)});
var lo=Math.min.apply(null,nums),hi=Math.max.apply(null,nums),log=isNum&&lo>0&&hi/lo>=10;
return function(v){if(!isNum||order.length<2){var i=order.indexOf(v);return order.length<2?0.5:i/(order.length-1)}
var f=log?Math.log:function(x){return x};return (f(+v)-f(lo))/((f(hi)-f(lo))||1)}}
function colour(models,m){var i=models.indexOf(m);return COL[m]||SPARE[i%SPARE.length]}
function draw(box,d,mode){var svg=box.querySelector('svg');if(svg)svg.remove();
var W=Math.max(360,Math.min(1100,box.clientWidth||900)),H=330,L=60,R=70,T=34,B=54;
svg=el(box,'svg',{width:W,height:H,viewBox:'0 0 '+W+' '+H,role:'img'});
var ms=d.rows.map(function(r){return r.mean}).filter(function(v){return v!==null}),
lows=d.rows.map(function(r){return r.lo===null?r.mean:r.lo}).filter(function(v){return v!==null}),
highs=d.rows.map(function(r){return r.hi===null?r.mean:r.hi}).filter(function(v){return v!==null});
var y0=Math.min.apply(null,lows),y1=Math.max.apply(null,highs);if(y0===y1){y0-=0.5;y1+=0.5}
function Y(v){return T+(H-T-B)*(1-(v-y0)/(y1-y0))}
var models=[];d.rows.forEach(function(r){if(models.indexOf(r.model)<0)models.push(r.model)});
function tip(g,r){el(g,'title',{},r.model+' · '+r.label+'\n'+d.metric+' '+fmt(r.mean)+(r.lo===null?'':' ['+fmt(r.lo)+
', '+fmt(r.hi)+']')+' · n = '+r.n+' (seeds '+r.seeds+')\nclick: its runs')}
function go(r){return function(){location.hash=r.href}}
if(mode<0){var names=['model'].concat(d.keys,[d.metric]),n=names.length,step=(W-L-R)/(n-1);
var scales=[axis(null,models)].concat(d.keys.map(function(k,i){return axis(null,d.orders[i])}));
var ax=el(svg,'g',{});names.forEach(function(name,i){var x=L+i*step;el(ax,'line',{x1:x,x2:x,y1:T,y2:H-B,
stroke:'#999'});el(ax,'text',{x:x,y:H-B+16,'text-anchor':'middle','font-size':11},name);
var ticks=i===0?models:i<n-1?d.orders[i-1]:[fmt(y0),fmt(y1)];
ticks.forEach(function(t,j){var y=i<n-1?T+(H-T-B)*(1-scales[i](t)):(j?T:H-B);
el(ax,'text',{x:x+4,y:y+4,'font-size':10,fill:'#333',stroke:'white','stroke-width':3,
'paint-order':'stroke'},t)})});
d.rows.forEach(function(r){if(r.mean===null)return;var pts=[[L,T+(H-T-B)*(1-scales[0](r.model))]];
d.keys.forEach(function(k,i){pts.push([L+(i+1)*step,T+(H-T-B)*(1-scales[i+1](r.values[i]))])});
pts.push([L+(n-1)*step,Y(r.mean)]);var g=el(svg,'g',{'class':'line'});
el(g,'polyline',{points:pts.join(' '),fill:'none',stroke:colour(models,r.model),'stroke-width':2,opacity:0.75});
tip(g,r);g.addEventListener('click',go(r))});svg.appendChild(ax)}
else{var sx=axis(null,d.orders[mode]),k=d.orders[mode];
el(svg,'line',{x1:L,x2:W-R,y1:H-B,y2:H-B,stroke:'#999'});el(svg,'line',{x1:L,x2:L,y1:T,y2:H-B,stroke:'#999'});
k.forEach(function(v){el(svg,'text',{x:L+20+(W-L-R-40)*sx(v),y:H-B+16,'text-anchor':'middle','font-size':10},v)});
el(svg,'text',{x:(W+L)/2,y:H-8,'text-anchor':'middle','font-size':11},d.keys[mode]);
[y0,(y0+y1)/2,y1].forEach(function(v){el(svg,'text',{x:L-4,y:Y(v)+4,'text-anchor':'end','font-size':10},fmt(v))});
el(svg,'text',{x:12,y:(H-B+T)/2,transform:'rotate(-90 12 '+(H-B+T)/2+')','text-anchor':'middle','font-size':11},
d.metric+' (mean, 95% CI)');
d.rows.forEach(function(r,i){if(r.mean===null)return;var x=L+20+(W-L-R-40)*sx(r.values[mode])+((i%7)-3)*4,
g=el(svg,'g',{'class':'pt'}),c=colour(models,r.model);
if(r.lo!==null)el(g,'line',{x1:x,x2:x,y1:Y(r.lo),y2:Y(r.hi),stroke:c,'stroke-width':1.5});
el(g,'circle',{cx:x,cy:Y(r.mean),r:4.5,fill:r.lo===null?'white':c,stroke:c});tip(g,r);
g.addEventListener('click',go(r))})}
var lx=L;models.forEach(function(m){el(svg,'rect',{x:lx,y:4,width:10,height:10,fill:colour(models,m)});
el(svg,'text',{x:lx+14,y:13,'font-size':11},m);lx+=24+7*m.length})}
document.querySelectorAll('.sweepview').forEach(function(box){
var d=JSON.parse(box.querySelector('script[type="application/json"]').textContent);
var pick=document.createElement('select');pick.className='sweepmode';
var o=document.createElement('option');o.value=-1;o.textContent='all configurations: parallel coordinates';
pick.appendChild(o);d.keys.forEach(function(k,i){var p=document.createElement('option');p.value=i;
p.textContent=d.metric+' against '+k;pick.appendChild(p)});box.insertBefore(pick,box.firstChild);
pick.addEventListener('change',function(){draw(box,d,+pick.value)});draw(box,d,-1);
box.setAttribute('data-drawn',d.rows.length)})})();
"""

CSS = (".sweepview{margin:.5em 0 1em;max-width:100%;overflow-x:auto}.sweepview svg{display:block}"
       ".sweepview g{cursor:pointer}.sweepview g.line:hover polyline{stroke-width:4;opacity:1}"
       "select.sweepmode{font-size:.88em;margin:.2em 0}")
