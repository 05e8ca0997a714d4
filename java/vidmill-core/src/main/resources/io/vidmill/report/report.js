/* vidmill run report: draws the JSON block #vidmill-data (written by io.vidmill.report.Report).
 * Text from the run (clip keys, URIs, messages) only ever goes in through textContent or
 * attribute values, never as HTML. */
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('vidmill-data').textContent);
  var app = document.getElementById('app');
  var charts = {};
  var pending = [];
  window.vidmillReport = { data: data, charts: charts };

  var COLORS = {
    clips: '#2563eb', failed: '#dc2626', frames: '#7c3aed', read: '#0891b2', fetched: '#ea580c',
    fetch: '#0891b2', open: '#ca8a04', demux: '#16a34a', decode: '#2563eb', output: '#9333ea', total: '#475467'
  };
  var PALETTE = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#0891b2', '#ca8a04', '#db2777', '#475467'];

  // ---- DOM ------------------------------------------------------------------------------

  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = String(v);
        else if (k === 'title' || k === 'id' || k === 'colspan' || k.indexOf('data-') === 0) e.setAttribute(k, String(v));
        else throw new Error('attribute not allowed: ' + k);
      });
    }
    for (var i = 2; i < arguments.length; i++) append(e, arguments[i]);
    return e;
  }

  function append(parent, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(parent, c); }); return; }
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }

  // ---- numbers ----------------------------------------------------------------------------

  function int(n) { return Math.round(n || 0).toLocaleString('en-US'); }

  function compact(n) {
    if (n === null || n === undefined || isNaN(n)) return '–';
    var a = Math.abs(n);
    if (a >= 1e9) return trim(n / 1e9) + 'G';
    if (a >= 1e6) return trim(n / 1e6) + 'M';
    if (a >= 1e4) return trim(n / 1e3) + 'k';
    if (a >= 100) return String(Math.round(n));
    if (a >= 10) return trim(n, 1);
    if (a === 0) return '0';
    return trim(n, a >= 1 ? 2 : 3);
  }

  function trim(n, digits) {
    var d = digits === undefined ? (Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2) : digits;
    return String(Number(n.toFixed(d)));
  }

  function bytes(n) {
    var units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
    var i = 0;
    n = n || 0;
    while (Math.abs(n) >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return trim(n) + ' ' + units[i];
  }

  function duration(s) {
    if (s === null || s === undefined || isNaN(s)) return '–';
    if (s < 1) return trim(s * 1000) + ' ms';
    if (s < 60) return trim(s) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
    if (s < 86400 * 2) return Math.floor(s / 3600) + ' h ' + Math.round((s % 3600) / 60) + ' min';
    return trim(s / 86400, 1) + ' days';
  }

  /** A clip's length: seconds are the unit people think of clips in. */
  function length(s) {
    if (s === null || s === undefined || isNaN(s)) return '–';
    return s < 60 ? trim(s, s < 10 ? 2 : 1) + ' s' : duration(s);
  }

  function ms(v) { return v === null || v === undefined ? '–' : duration(v / 1000); }

  function pct(part, whole) {
    if (!whole) return '–';
    var p = 100 * part / whole;
    return (p > 0 && p < 0.1 ? '<0.1' : trim(p, p >= 10 ? 0 : 1)) + '%';
  }

  function sum(a) { var s = 0; (a || []).forEach(function (v) { if (v) s += v; }); return s; }

  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
  }

  function basename(p) { var s = String(p || '').replace(/\/+$/, ''); return s.substring(s.lastIndexOf('/') + 1) || s; }

  // ---- building blocks -------------------------------------------------------------------

  function section(id, title, lead) {
    var s = el('section', { id: id }, el('h2', { text: title }));
    if (lead) s.appendChild(el('p', { class: 'lead', text: lead }));
    return s;
  }

  function card(metric, label, value, raw, sub, tone) {
    return el('div', { class: 'card' + (tone ? ' ' + tone : ''), 'data-metric': metric, 'data-value': raw },
      el('div', { class: 'label', text: label }), el('div', { class: 'value', text: value }),
      sub ? el('div', { class: 'sub', text: sub }) : null);
  }

  function table(headers, rows) {
    var head = el('tr');
    headers.forEach(function (h) {
      var name = typeof h === 'string' ? h : h[0];
      head.appendChild(el('th', { class: typeof h === 'string' ? null : h[1], text: name }));
    });
    var body = el('tbody');
    rows.forEach(function (r) { body.appendChild(r); });
    return el('table', null, el('thead', null, head), body);
  }

  function td(value, cls) { return el('td', { class: cls || null }, value); }

  /**
   * A time chart: series = [{label, values, color, unit, scale, step}], drawn once the page is
   * laid out (uPlot needs the width).
   */
  function timeChart(name, title, t, series, attrs) {
    var plot = el('div', { class: 'plot' });
    var box = el('div', Object.assign({ class: 'chart', 'data-chart': name, 'data-points': t.length }, attrs || {}),
      el('h3', { text: title }), plot);
    if (!t.length || !series.length) {
      plot.appendChild(el('div', { class: 'empty', text: 'nothing to show' }));
      return box;
    }
    pending.push(function () {
      var scales = { x: { time: true } };
      var axes = [{ stroke: '#667085', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e4e7ec' } }];
      var seen = {};
      series.forEach(function (s) {
        var sc = s.scale || 'y';
        if (seen[sc]) return;
        seen[sc] = true;
        scales[sc] = { auto: true, range: function (u, lo, hi) { return [0, hi > 0 ? hi * 1.08 : 1]; } };
        axes.push({
          scale: sc, side: Object.keys(seen).length > 1 ? 1 : 3, label: s.axis || s.unit, labelSize: 18,
          size: 58, stroke: '#667085', grid: { show: Object.keys(seen).length === 1, stroke: '#eef0f3' },
          ticks: { stroke: '#e4e7ec' },
          values: function (u, splits) { return splits.map(function (v) { return s.bytes ? bytes(v) : compact(v); }); }
        });
      });
      var few = t.length < 60;
      var opts = {
        width: Math.max(280, plot.clientWidth), height: 210, scales: scales, axes: axes,
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
        series: [{ value: function (u, v) { return v === null ? '–' : new Date(v * 1000).toLocaleTimeString('en-GB'); } }]
          .concat(series.map(function (s) {
            return {
              label: s.label, scale: s.scale || 'y', stroke: s.color, width: 1.6,
              fill: s.fill === false ? undefined : s.color + '1f', spanGaps: !!s.gaps,
              points: { show: few, size: 4 },
              paths: s.step ? uPlot.paths.stepped({ align: 1 }) : undefined,
              value: function (u, v) { return v === null || v === undefined ? '–' : (s.bytes ? bytes(v) : compact(v)) + (s.suffix || ''); }
            };
          }))
      };
      var u = new uPlot(opts, [t].concat(series.map(function (s) { return s.values; })), plot);
      charts[name] = u;
    });
    return box;
  }

  function histogram(name, title, h, unitNote) {
    var box = el('div', { class: 'hist', 'data-hist': name, 'data-clips': h ? h.clips : 0 }, el('h3', { text: title }));
    if (!h || !h.rows || !h.rows.length) {
      box.appendChild(el('div', { class: 'empty', text: 'no clips with this known' }));
      return box;
    }
    var max = 0;
    h.rows.forEach(function (r) { max = Math.max(max, r.clips); });
    var rows = el('div', { class: 'rows' });
    h.rows.forEach(function (r) {
      var fill = el('div', { class: 'fill' });
      fill.style.width = (max ? 100 * r.clips / max : 0) + '%';
      var cls = r.other ? 'other' : null;
      rows.appendChild(el('div', { class: 'lbl' + (cls ? ' ' + cls : ''), title: r.label, text: r.label }));
      rows.appendChild(el('div', { class: 'track' + (cls ? ' ' + cls : ''), 'data-label': r.label, 'data-count': r.clips }, fill));
      rows.appendChild(el('div', { class: 'n', text: int(r.clips) }));
      rows.appendChild(el('div', { class: 'pct', text: pct(r.clips, h.clips) }));
    });
    box.appendChild(rows);
    if (unitNote) box.appendChild(el('div', { class: 'note', text: unitNote }));
    return box;
  }

  // ---- the sections ---------------------------------------------------------------------

  var T = data.totals || {};
  var shards = data.shards || { count: 1, complete: 0, rows: [] };
  var elapsed = T.last_ms && T.first_start_ms ? (T.last_ms - T.first_start_ms) / 1000 : 0;

  function header() {
    var complete = shards.complete >= shards.count;
    var pill = !complete ? el('span', { class: 'status-pill partial', text: 'in progress' })
      : T.failed ? el('span', { class: 'status-pill failed', text: 'complete, ' + int(T.failed) + ' failed' })
        : el('span', { class: 'status-pill ok', text: 'complete' });
    document.title = 'vidmill report · ' + basename(data.out);
    var where = [data.out];
    if (data.run && data.run.input) where.push('input ' + data.run.input);
    where.push('written ' + when(data.generated_at));
    return el('header', { class: 'top' },
      el('h1', null, el('span', { class: 'brand', text: 'vidmill' }), ' run report', pill),
      el('div', { class: 'where', text: where.join(' · ') }));
  }

  function cards() {
    var c = el('div', { class: 'cards' });
    var shardNote = shards.count > 1 ? shards.complete + ' of ' + shards.count + ' shards complete' : null;
    c.appendChild(card('clips', 'Clips', int(T.clips), T.clips || 0, shardNote));
    c.appendChild(card('ok', 'Decoded', int(T.ok), T.ok || 0, pct(T.ok, T.clips) + ' of clips', 'good'));
    c.appendChild(card('failed', 'Failed', int(T.failed), T.failed || 0, pct(T.failed, T.clips) + ' of clips',
      T.failed ? 'bad' : null));
    c.appendChild(card('frames', 'Frames', T.frames < 1e6 ? int(T.frames) : compact(T.frames), T.frames || 0,
      elapsed ? compact(T.frames / elapsed) + ' frames/s' : null));
    c.appendChild(card('video_seconds', 'Video decoded', length(T.video_seconds), T.video_seconds || 0,
      T.ok ? length(T.video_seconds / T.ok) + ' per clip' : null));
    c.appendChild(card('bytes_read', 'Data read', bytes(T.bytes_read), T.bytes_read || 0,
      elapsed ? bytes(T.bytes_read / elapsed) + '/s' : null));
    c.appendChild(card('elapsed', 'Elapsed', duration(elapsed), elapsed,
      elapsed ? compact(T.clips / elapsed) + ' clips/s' : null));
    if (T.retries) c.appendChild(card('retries', 'Retries', int(T.retries), T.retries, 'after I/O errors'));
    return c;
  }

  function throughput() {
    var th = data.throughput || { t: [] };
    var tl = data.timeline;
    var s = section('throughput', 'Throughput',
      'Clips, frames and bytes finished per second, all shards together (buckets of ' + duration(th.width_s) + ').');
    var g = el('div', { class: 'grid three' });
    g.appendChild(timeChart('clips', 'Clips per second', th.t, [
      { label: 'clips/s', values: th.clips_per_s, color: COLORS.clips, axis: 'clips / s' },
      { label: 'failed/s', values: th.failed_per_s, color: COLORS.failed, axis: 'clips / s', fill: false }
    ], { 'data-clips': Math.round(sum(th.clips)) }));
    g.appendChild(timeChart('frames', 'Frames per second', th.t, [
      { label: 'frames/s', values: th.frames_per_s, color: COLORS.frames, axis: 'frames / s' }
    ], { 'data-frames': Math.round(sum(th.frames_per_s) * (th.width_s || 1)) }));
    var bytesSeries = [{ label: 'read', values: th.bytes_per_s, color: COLORS.read, axis: 'bytes / s', bytes: true, suffix: '/s' }];
    // the timeline samples once a second: finer buckets would show its steps, not the run
    if (tl && tl.fetched_bytes_per_s && th.width_s >= 1) {
      bytesSeries.push({ label: 'fetched', values: tl.fetched_bytes_per_s, color: COLORS.fetched, bytes: true,
        suffix: '/s', fill: false });
    }
    g.appendChild(timeChart('bytes', 'Bytes per second', th.t, bytesSeries));
    s.appendChild(g);
    return s;
  }

  function stages() {
    var st = data.stages || [];
    var s = section('stages', 'Where the time went',
      'Time per stage, summed over all workers; per clip: the median (p50) and the 99th percentile (p99, approximate).');
    if (!st.length) { s.appendChild(el('div', { class: 'empty', text: 'no clips yet' })); return s; }
    var parts = st.filter(function (x) { return x.stage !== 'total'; });
    var all = sum(parts.map(function (x) { return x.seconds; }));
    var bar = el('div', { class: 'stagebar' });
    var legend = el('div', { class: 'legend-inline' });
    parts.forEach(function (x) {
      var seg = el('div', { title: x.stage + ': ' + duration(x.seconds) + ' (' + pct(x.seconds, all) + ')',
        'data-stage': x.stage, 'data-seconds': x.seconds });
      seg.style.width = (all ? 100 * x.seconds / all : 0) + '%';
      seg.style.background = COLORS[x.stage] || '#999';
      bar.appendChild(seg);
      var sw = el('span', { class: 'sw' });
      sw.style.background = COLORS[x.stage] || '#999';
      legend.appendChild(el('span', null, sw, x.stage + ' ' + pct(x.seconds, all)));
    });
    s.appendChild(bar);
    s.appendChild(legend);
    var rows = st.map(function (x) {
      return el('tr', { 'data-stage': x.stage }, td(x.stage), td(duration(x.seconds), 'num'),
        td(x.stage === 'total' ? '' : pct(x.seconds, all), 'num'), td(ms(x.p50_ms), 'num'), td(ms(x.p99_ms), 'num'),
        td(ms(x.mean_ms), 'num'), td(x.us_per_frame ? trim(x.us_per_frame) + ' µs' : '–', 'num'), td(int(x.clips), 'num'));
    });
    var g = el('div', { class: 'grid' });
    g.appendChild(el('div', null, table(['stage', ['time', 'num'], ['share', 'num'], ['p50 / clip', 'num'],
      ['p99 / clip', 'num'], ['mean', 'num'], ['per frame', 'num'], ['clips', 'num']], rows),
    el('div', { class: 'note', text: 'total = fetch to result, per clip; a clip that failed before a stage is not counted in it.' })));
    var th = data.throughput || { t: [] };
    g.appendChild(timeChart('stage_busy', 'Workers busy in each stage', th.t, parts.map(function (x) {
      return { label: x.stage, values: (th.stage_busy || {})[x.stage] || [], color: COLORS[x.stage], axis: 'workers', fill: false };
    })));
    s.appendChild(g);
    return s;
  }

  function tuning() {
    var tl = data.timeline;
    var s = section('tuning', 'Settings and queues',
      'What the run was set to (the tuner’s choices; averaged over shards) and how full the pipeline was, sampled every second.');
    if (!tl) { s.appendChild(el('div', { class: 'empty', text: 'no timeline in this output folder' })); return s; }
    var t = (data.throughput || {}).t || [];
    var g = el('div', { class: 'grid two' });
    var settings = [];
    var fixed = [];
    Object.keys(tl.settings || {}).forEach(function (k, i) {
      var v = tl.settings[k];
      if (k.indexOf('bytes') >= 0) {
        var last = v.filter(function (x) { return x !== null; }).pop();
        if (last !== undefined) fixed.push(k.replace(/_/g, ' ') + ': ' + bytes(last));
        return;
      }
      settings.push({ label: k.replace(/_/g, ' '), values: v, color: PALETTE[i % PALETTE.length], step: true,
        gaps: true, fill: false, axis: 'setting' });
    });
    var sbox = timeChart('settings', 'Settings', t, settings);
    if (fixed.length) sbox.appendChild(el('div', { class: 'note', text: fixed.join(' · ') }));
    g.appendChild(sbox);
    var queues = [];
    Object.keys(tl.queues || {}).forEach(function (k, i) {
      var isBytes = k.indexOf('bytes') >= 0;
      queues.push({ label: k.replace(/_/g, ' '), values: tl.queues[k], color: PALETTE[i % PALETTE.length], gaps: true,
        fill: false, scale: isBytes ? 'bytes' : 'y', bytes: isBytes, axis: isBytes ? 'bytes' : 'clips' });
    });
    g.appendChild(timeChart('queues', 'Pipeline: clips in each part, bytes held', t, queues));
    s.appendChild(g);
    s.appendChild(el('div', { class: 'note', text: int(tl.samples) + ' samples from ' + tl.shards + ' shard(s), '
      + tl.attempts + ' attempt(s)' + (tl.skipped_lines ? ', ' + tl.skipped_lines + ' unreadable line(s) skipped' : '') }));
    return s;
  }

  function failures() {
    var f = data.failures || [];
    var s = section('failures', 'Failures', f.length
      ? 'Clips that could not be decoded, by error code, with examples (first keys in order). All of them: failures*.jsonl, or status <> \'ok\' in the results.'
      : null);
    if (!f.length) {
      s.appendChild(el('div', { class: 'empty', text: T.clips ? 'No failures: every clip decoded.' : 'No clips yet.' }));
      return s;
    }
    var rows = f.map(function (x) {
      var list = el('ul');
      x.examples.forEach(function (e) {
        list.appendChild(el('li', { 'data-key': e.key }, el('div', { class: 'k', text: e.key }),
          el('div', { class: 'm', text: e.error || '' })));
      });
      var more = x.clips > x.examples.length ? ' of ' + int(x.clips) : '';
      return el('tr', { 'data-code': x.code, 'data-count': x.clips }, td(el('span', { class: 'code', text: x.code })),
        td(int(x.clips), 'num'), td(pct(x.clips, T.clips), 'num'),
        td(el('details', { class: 'examples' }, el('summary', { text: x.examples.length + ' example' + (x.examples.length === 1 ? '' : 's') + more }), list), 'msg'));
    });
    s.appendChild(table(['code', ['clips', 'num'], ['share', 'num'], 'examples'], rows));
    return s;
  }

  function clips() {
    var h = data.histograms || {};
    var s = section('clips', 'What the clips are', 'Every clip of the results; the most frequent values first.');
    var g = el('div', { class: 'grid three' });
    g.appendChild(histogram('codec', 'Codec', h.codec));
    g.appendChild(histogram('resolution', 'Resolution (stored, before rotation)', h.resolution));
    g.appendChild(histogram('fps', 'Frame rate (fps)', h.fps));
    g.appendChild(histogram('duration', 'Duration', h.duration));
    g.appendChild(histogram('container', 'Container', h.container));
    g.appendChild(histogram('size', 'File size', h.size));
    g.appendChild(histogram('pix_fmt', 'Pixel format', h.pix_fmt));
    g.appendChild(histogram('backend', 'Backend (where it was decoded)', h.backend));
    s.appendChild(g);
    return s;
  }

  function slowest() {
    var sl = data.slowest || [];
    var s = section('slowest', 'Slowest clips', 'By total time, fetch to result.');
    if (!sl.length) { s.appendChild(el('div', { class: 'empty', text: 'no clips yet' })); return s; }
    s.appendChild(table(['clip', 'status', ['total', 'num'], ['fetch', 'num'], ['decode', 'num'], 'codec',
      ['size', 'num'], ['frames', 'num']], sl.map(function (r) {
      return el('tr', { 'data-key': r.key }, td(r.key, 'key'), td(r.status), td(ms(r.total_ms), 'num'),
        td(ms(r.fetch_ms), 'num'), td(ms(r.decode_ms), 'num'), td(r.codec || '–'),
        td(r.width ? r.width + '×' + r.height : '–', 'num'), td(int(r.frames), 'num'));
    })));
    return s;
  }

  function shardTable() {
    if (!shards.count || shards.count < 2) return null;
    var s = section('shards', 'Shards', shards.complete + ' of ' + shards.count + ' complete, ' + shards.started + ' started.');
    s.appendChild(table(['shard', 'state', ['clips', 'num'], ['ok', 'num'], ['failed', 'num'], ['seconds', 'num']],
      shards.rows.map(function (r) {
        var state = r.complete ? 'complete' : r.started ? 'running or stopped' : 'not started';
        return el('tr', { 'data-shard': r.shard, 'data-clips': r.clips }, td(r.shard), td(state), td(int(r.clips), 'num'),
          td(int(r.ok), 'num'), td(int(r.failed), 'num'), td(r.seconds !== undefined ? duration(r.seconds) : '–', 'num'));
      })));
    if (shards.rows_left_off) s.appendChild(el('div', { class: 'note', text: int(shards.rows_left_off) + ' more complete shards not listed' }));
    return s;
  }

  function contactSheet() {
    var th = data.thumbnails || { items: [] };
    var s = section('contact-sheet', 'Contact sheet', th.items.length
      ? 'A random sample of ' + th.items.length + ' decoded clips.' : null);
    if (!th.items.length) {
      s.appendChild(el('div', { class: 'empty', text: 'No thumbnails in this report' + (th.note ? ': ' + th.note : '') + '.' }));
      return s;
    }
    var sheet = el('div', { class: 'sheet' });
    th.items.forEach(function (it) {
      var img = document.createElement('img');
      img.alt = it.key;
      img.loading = 'lazy';
      img.src = 'data:image/jpeg;base64,' + it.jpeg.replace(/[^A-Za-z0-9+/=]/g, '');
      var desc = [it.codec, it.width ? it.width + '×' + it.height : null, it.duration ? length(it.duration) : null]
        .filter(function (x) { return x; }).join(' · ');
      sheet.appendChild(el('figure', { 'data-key': it.key }, img,
        el('figcaption', null, el('span', { class: 'k', text: it.key }), el('span', { class: 'd', text: desc }))));
    });
    s.appendChild(sheet);
    return s;
  }

  function footer() {
    return el('footer', { text: 'Written by vidmill report from ' + data.out + ' (clips/*.parquet, summary*.json, '
      + 'timeline*.jsonl) at ' + when(data.generated_at) + '. Rebuild it any time: vidmill report ' + data.out });
  }

  // ---- draw -----------------------------------------------------------------------------

  [header, cards, throughput, stages, tuning, failures, clips, slowest, shardTable, contactSheet, footer].forEach(function (f) {
    try {
      append(app, f());
    } catch (e) {
      console.error('vidmill report: ' + f.name + ': ' + e);
      append(app, el('section', null, el('div', { class: 'empty', text: 'This part of the report could not be drawn: ' + e })));
    }
  });
  pending.forEach(function (draw) {
    try { draw(); } catch (e) { console.error('vidmill report: chart: ' + e); }
  });
  var resizing = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      Object.keys(charts).forEach(function (k) {
        var u = charts[k];
        u.setSize({ width: Math.max(280, u.root.parentNode.clientWidth), height: 210 });
      });
    }, 100);
  });
  document.body.setAttribute('data-rendered', 'true');
})();
