// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// app.js - the dashboard: fetch /api/* and /z/health, draw each chart, mark how much it drew.
//
// Every chart or table carries data-chart="NAME"; once drawn it gets
// data-drawn="N", the number of data points it shows (0: none), and
// data-error when its data could not be had. The browser test reads them.
// Text from the server (paths, reasons, routes) only ever goes in through
// textContent or into canvases, never as HTML.
'use strict';

(function () {
  const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948',
    '#b07aa1', '#ff9da7', '#9c755f', '#86bcb6', '#bab0ac'];
  const OTHER = '#a0a7b0';
  const REFRESH_MS = 60000;
  const $ = (id) => document.getElementById(id);
  const charts = {};
  let heatmapData = null;
  let timer = null;

  // ---- formatting ----

  function fmtDur(s) {
    if (s === null || s === undefined || !isFinite(s)) return '–';
    if (s < 1e-3) return (s * 1e6).toFixed(0) + ' µs';
    if (s < 1) return (s * 1e3).toFixed(s < 0.01 ? 2 : s < 0.1 ? 1 : 0) + ' ms';
    if (s < 120) return s.toFixed(s < 10 ? 2 : 1) + ' s';
    if (s < 7200) return (s / 60).toFixed(0) + ' min';
    if (s < 172800) return (s / 3600).toFixed(1) + ' h';
    return (s / 86400).toFixed(1) + ' d';
  }

  // Labels of a log axis: at 1, 2 and 5 times a power of ten ("2 ms"), only
  // at the powers of ten when a decade is narrow. this: the scale.
  function logTick(v) {
    const e = Math.floor(Math.log10(v) + 1e-9);
    const m = v / Math.pow(10, e);
    const decades = Math.log10(this.max / this.min) || 1;
    // the scale's own width is not known yet when labels are made: the chart's is
    const wide = (this.chart.width - 120) / decades > 200;
    const at = (k) => Math.abs(m - k) < 1e-6;
    if (!at(1) && (!wide || (!at(2) && !at(5)))) return '';
    const s = Math.round(m) * Math.pow(10, e);
    if (s < 1e-3) return Math.round(s * 1e6) + ' µs';
    if (s < 1) return Math.round(s * 1e3) + ' ms';
    return Math.round(s) + ' s';
  }

  function fmtInt(n) {
    return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US');
  }

  function fmtTime(t) {
    const d = new Date(t * 1000);
    const p = (n) => String(n).padStart(2, '0');
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' +
      p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
  }

  function utcDay(t) {
    return new Date(t * 1000).toISOString().slice(0, 10);
  }

  function shortVersion(v) {
    return /^[0-9a-f]{13,}$/.test(v) ? v.slice(0, 12) : v;
  }

  // ---- plumbing ----

  async function getJSON(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
    return r.json();
  }

  function panelOf(el) {
    return el.closest('.panel');
  }

  function setError(el, err) {
    const p = panelOf(el).querySelector('.error');
    if (err) {
      p.textContent = String(err.message || err);
      p.hidden = false;
      el.dataset.error = p.textContent;
    } else {
      p.hidden = true;
      p.textContent = '';
      delete el.dataset.error;
    }
  }

  function markDrawn(el, n) {
    el.dataset.drawn = String(n);
  }

  function newChart(id, config) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart($(id), config);
    return charts[id];
  }

  function sizeBox(id, rows, perRow, min) {
    $(id).style.height = Math.max(min, rows * perRow + 70) + 'px';
  }

  function td(text, cls) {
    const c = document.createElement('td');
    c.textContent = text;
    if (cls) c.className = cls;
    return c;
  }

  function fillTable(table, rows, cols) {
    const body = table.tBodies[0];
    body.replaceChildren();
    if (!rows.length) {
      const tr = document.createElement('tr');
      const c = td('none', 'empty');
      c.colSpan = cols;
      tr.appendChild(c);
      body.appendChild(tr);
      return;
    }
    for (const cells of rows) {
      const tr = document.createElement('tr');
      for (const c of cells) tr.appendChild(c);
      body.appendChild(tr);
    }
  }

  // ---- box plots: floating bars (q1..q3) plus a plugin for median, whiskers, p99, min, max ----

  const boxPlugin = {
    id: 'wardenBox',
    afterDatasetsDraw(chart) {
      const opts = chart.options.plugins.wardenBox;
      if (!opts || !opts.stats) return;
      const ctx = chart.ctx;
      const x = chart.scales.x;
      const meta = chart.getDatasetMeta(0);
      const px = (v) => x.getPixelForValue(Math.max(v, x.min));
      ctx.save();
      ctx.strokeStyle = '#1d2733';
      ctx.fillStyle = '#1d2733';
      ctx.lineWidth = 1.2;
      opts.stats.forEach((s, i) => {
        const bar = meta.data[i];
        if (!bar || !s || s.count === 0) return;
        const y = bar.y;
        const h = Math.max(6, bar.height || 10);
        const line = (x1, y1, x2, y2) => {
          ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke();
        };
        // whiskers p5..q1 and q3..p95, with caps
        line(px(s.p5), y, px(s.q1), y);
        line(px(s.q3), y, px(s.p95), y);
        line(px(s.p5), y - h / 4, px(s.p5), y + h / 4);
        line(px(s.p95), y - h / 4, px(s.p95), y + h / 4);
        // median
        ctx.lineWidth = 2.5;
        line(px(s.p50), y - h / 2, px(s.p50), y + h / 2);
        ctx.lineWidth = 1.2;
        // p99: a diamond
        const d = px(s.p99);
        ctx.beginPath();
        ctx.moveTo(d, y - 5); ctx.lineTo(d + 5, y); ctx.lineTo(d, y + 5); ctx.lineTo(d - 5, y);
        ctx.closePath();
        ctx.fill();
        // min and max: open dots
        for (const v of [s.min, s.max]) {
          ctx.beginPath();
          ctx.arc(px(v), y, 3, 0, 2 * Math.PI);
          ctx.stroke();
        }
      });
      ctx.restore();
    },
  };

  function boxChart(id, labels, stats, color) {
    let lo = Infinity;
    let hi = 0;
    for (const s of stats) {
      lo = Math.min(lo, s.min);
      hi = Math.max(hi, s.max);
    }
    return newChart(id, {
      type: 'bar',
      data: {
        labels,
        datasets: [{
          label: 'q1–q3',
          data: stats.map((s) => [s.q1, Math.max(s.q3, s.q1 * 1.001)]),
          backgroundColor: color + '99',
          borderColor: color,
          borderWidth: 1,
          borderSkipped: false,
          barPercentage: 0.9,
          categoryPercentage: 0.8,
        }],
      },
      options: {
        indexAxis: 'y',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: {
            type: 'logarithmic',
            min: lo / 1.5,
            max: hi * 1.5,
            title: { display: true, text: 'latency (log scale)' },
            ticks: { callback: logTick, autoSkip: false, maxRotation: 0 },
          },
          y: { ticks: { autoSkip: false } },
        },
        plugins: {
          legend: { display: false },
          wardenBox: { stats },
          tooltip: {
            callbacks: {
              label: (item) => {
                const s = stats[item.dataIndex];
                return ['requests ' + fmtInt(s.count),
                  'p50 ' + fmtDur(s.p50) + ', p90 ' + fmtDur(s.p90) + ', p99 ' + fmtDur(s.p99),
                  'q1 ' + fmtDur(s.q1) + ', q3 ' + fmtDur(s.q3),
                  'min ' + fmtDur(s.min) + ', max ' + fmtDur(s.max)];
              },
            },
          },
        },
      },
      plugins: [boxPlugin],
    });
  }

  // ---- the charts ----

  function renderHits(d) {
    const labels = d.day_starts.map(utcDay);
    let points = 0;
    const datasets = d.series.map((s, i) => {
      points += s.hits.filter((v) => v > 0).length;
      return {
        label: s.route,
        data: s.hits,
        backgroundColor: s.route === '(other)' ? OTHER : PALETTE[i % PALETTE.length],
        stack: 'hits',
      };
    });
    newChart('chart-hits', {
      type: 'bar',
      data: { labels, datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: true, ticks: { maxRotation: 60, autoSkip: true } },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: 'requests' } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      },
    });
    return points;
  }

  // The heatmap is a matrix of cells drawn on its canvas: Chart.js has no such type.
  function drawHeatmap() {
    const canvas = $('chart-heatmap');
    const d = heatmapData;
    if (!d) return 0;
    const box = canvas.parentElement;
    const dpr = window.devicePixelRatio || 1;
    const W = box.clientWidth;
    const H = box.clientHeight;
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
    canvas.style.width = W + 'px';
    canvas.style.height = H + 'px';
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const left = 40;
    const top = 20;
    const bottom = 34;
    const cw = (W - left - 4) / 24;
    const ch = (H - top - bottom) / 7;
    const order = [1, 2, 3, 4, 5, 6, 0]; // Monday first
    const max = d.max || 1;
    let points = 0;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'center';
    ctx.fillStyle = '#5f6b7a';
    for (let h = 0; h < 24; h += (cw < 18 ? 3 : 1)) {
      ctx.fillText(String(h), left + h * cw + cw / 2, top / 2);
    }
    order.forEach((w, row) => {
      ctx.textAlign = 'right';
      ctx.fillStyle = '#5f6b7a';
      ctx.fillText(d.weekdays[w], left - 6, top + row * ch + ch / 2);
      ctx.textAlign = 'center';
      for (let h = 0; h < 24; h++) {
        const v = d.cells[w][h];
        const f = v > 0 ? Math.sqrt(v / max) : 0;
        if (v > 0) points++;
        // from a pale grey-blue (nothing) to a deep blue (the busiest hour)
        const r = Math.round(238 - f * (238 - 8));
        const g = Math.round(242 - f * (242 - 48));
        const b = Math.round(247 - f * (247 - 107));
        ctx.fillStyle = 'rgb(' + r + ',' + g + ',' + b + ')';
        ctx.fillRect(left + h * cw + 1, top + row * ch + 1, cw - 2, ch - 2);
        if (v > 0 && cw >= 26 && ch >= 16) {
          ctx.fillStyle = f > 0.55 ? '#ffffff' : '#1d2733';
          ctx.fillText(v >= 10000 ? Math.round(v / 1000) + 'k' : String(v),
            left + h * cw + cw / 2, top + row * ch + ch / 2);
        }
      }
    });
    // legend
    const ly = H - bottom + 14;
    const lw = Math.min(200, W - left - 120);
    for (let i = 0; i <= lw; i++) {
      const f = i / lw;
      ctx.fillStyle = 'rgb(' + Math.round(238 - f * 230) + ',' + Math.round(242 - f * 194) + ',' +
        Math.round(247 - f * 140) + ')';
      ctx.fillRect(left + i, ly, 1, 10);
    }
    ctx.fillStyle = '#5f6b7a';
    ctx.textAlign = 'left';
    ctx.fillText('0', left - 12, ly + 5);
    ctx.fillText(fmtInt(d.max) + ' requests in an hour cell (' + fmtInt(d.total) + ' in all)',
      left + lw + 8, ly + 5);
    return points;
  }

  function renderLatency(d) {
    const rows = d.routes.filter((r) => r.latency && r.latency.count > 0).slice(0, 20);
    sizeBox('latency-box', rows.length, 30, 160);
    if (!rows.length) {
      if (charts['chart-latency']) charts['chart-latency'].destroy();
      delete charts['chart-latency'];
      throw new Error('no latency measured in this range');
    }
    boxChart('chart-latency', rows.map((r) => r.route), rows.map((r) => r.latency), '#4e79a7');
    return rows.length;
  }

  function renderVersions(d) {
    const rows = d.versions.filter((v) => v.latency && v.latency.count > 0).slice(-12);
    sizeBox('versions-box', rows.length, 34, 160);
    if (!rows.length) {
      if (charts['chart-versions']) charts['chart-versions'].destroy();
      delete charts['chart-versions'];
      throw new Error('no latency measured in this range');
    }
    boxChart('chart-versions', rows.map((v) => shortVersion(v.version) + ' (' + fmtInt(v.hits) + ')'),
      rows.map((v) => v.latency), '#59a14f');
    return rows.length;
  }

  function statusColor(code, i) {
    const shades = {
      2: ['#2e8b57', '#52b788', '#95d5b2'],
      3: ['#4e79a7', '#76a5d6', '#a9c8ea'],
      4: ['#e8871e', '#f2b134', '#f6cd6b', '#d9681c'],
      5: ['#c0392b', '#e15759', '#8e2c20'],
    };
    const c = shades[Math.floor(code / 100)] || ['#7f8c8d'];
    return c[i % c.length];
  }

  function renderStatus(d) {
    const routes = d.routes.slice(0, 10);
    const codes = Object.keys(d.statuses).map(Number).sort((a, b) => a - b);
    const perClass = {};
    let points = 0;
    const datasets = codes.map((code) => {
      const k = Math.floor(code / 100);
      perClass[k] = (perClass[k] || 0) + 1;
      const data = routes.map((r) => r.statuses[String(code)] || 0);
      points += data.filter((v) => v > 0).length;
      return { label: String(code), data, backgroundColor: statusColor(code, perClass[k] - 1), stack: 's' };
    });
    sizeBox('status-box', routes.length, 28, 200);
    newChart('chart-status', {
      type: 'bar',
      data: { labels: routes.map((r) => r.route), datasets },
      options: {
        indexAxis: 'y',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: true, beginAtZero: true, title: { display: true, text: 'requests' } },
          y: { stacked: true, ticks: { autoSkip: false } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      },
    });
    return points;
  }

  function renderClients(d) {
    const rows = d.clients.slice(0, 15);
    sizeBox('clients-box', rows.length, 24, 200);
    newChart('chart-clients', {
      type: 'bar',
      data: {
        labels: rows.map((c) => c.client),
        datasets: [
          { label: 'answered 2xx, 3xx or 5xx', data: rows.map((c) => c.hits - c.s4xx), backgroundColor: '#4e79a7', stack: 'c' },
          { label: 'answered 4xx', data: rows.map((c) => c.s4xx), backgroundColor: '#f28e2b', stack: 'c' },
        ],
      },
      options: {
        indexAxis: 'y',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: true, beginAtZero: true, title: { display: true, text: 'requests' } },
          y: { stacked: true, ticks: { autoSkip: false } },
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              footer: (items) => {
                const c = rows[items[0].dataIndex];
                return c.mean_latency !== null ? 'mean latency ' + fmtDur(c.mean_latency) : '';
              },
            },
          },
        },
      },
    });
    return rows.length;
  }

  function renderRoutes(d) {
    const rows = d.routes.map((r) => [
      td(r.route), td(fmtInt(r.hits), 'num'), td(fmtInt(r.s4xx), 'num'), td(fmtInt(r.s5xx), 'num'),
      td(fmtDur(r.latency.p50), 'num'), td(fmtDur(r.latency.p90), 'num'), td(fmtDur(r.latency.p99), 'num'),
    ]);
    fillTable($('routes'), rows, 7);
    return rows.length;
  }

  function renderOutliers(d) {
    const r = d.rule;
    $('outliers-note').textContent = 'Requests slower than ' + r.factor + ' × their endpoint\'s recent p90 ' +
      '(and at least ' + fmtDur(r.floor_s) + '), judged once it has ' + r.min_samples +
      ' recent requests (of its last ' + r.window + ' to ' + 2 * r.window + '). The last ' +
      d.outliers.length + ', newest first.';
    const rows = d.outliers.slice(0, 100).map((o) => [
      td(fmtTime(o.time)), td(o.route), td(o.method), td(o.path, 'path'), td(o.client),
      td(String(o.status), 'num'), td(fmtDur(o.latency), 'num'), td(fmtDur(o.threshold), 'num'),
    ]);
    fillTable($('outliers'), rows, 8);
    return rows.length;
  }

  function renderBans(d) {
    const note = $('bans-note');
    if (!d.available) {
      note.textContent = 'No ban maps (dry run, or not available).';
      fillTable($('bans'), [], 7);
      return 0;
    }
    let text = fmtInt(d.live) + ' live bans' + (d.truncated ? ' (list cut short)' : '') +
      ', most drops first.';
    if (d.xdp) {
      text += ' XDP dropped ' + fmtInt(d.xdp.dropped_exact + d.xdp.dropped_prefix) +
        ' packets, passed ' + fmtInt(d.xdp.passed) + '.';
    }
    note.textContent = text;
    const rows = d.bans.map((b) => [
      td(b.target), td(b.reason || '–'), td(b.source || '–'),
      td(b.permanent ? 'permanent' : fmtDur(b.remaining_s), 'num'), td(fmtInt(b.drops), 'num'),
      td(b.last_drop_ago_s !== null ? fmtDur(b.last_drop_ago_s) + ' ago' : '–', 'num'),
      td(String(b.offences), 'num'),
    ]);
    fillTable($('bans'), rows, 7);
    return rows.length;
  }

  // /z/health belongs to another part of warden: Spring Boot actuator style
  // ({"status":"UP","components":{"child":{"status":"UP","details":{...}}}}),
  // shown component by component; any other shape as its flattened fields.
  function scalar(v) {
    if (v === null || v === undefined) return '–';
    if (typeof v === 'number' && !Number.isInteger(v)) return String(Number(v.toPrecision(4)));
    if (Array.isArray(v)) return v.map(scalar).join(', ') || '–';
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  function renderHealth(h) {
    const dl = $('health');
    dl.replaceChildren();
    const entries = [];
    if (h && typeof h.components === 'object' && h.components !== null) {
      for (const [name, c] of Object.entries(h.components)) {
        const details = c && typeof c.details === 'object' && c.details !== null
          ? Object.entries(c.details).filter(([, v]) => v !== null && v !== undefined)
            .map(([k, v]) => k.replace(/_/g, ' ') + ' ' + scalar(v)).join(' · ')
          : '';
        entries.push([name, (c && c.status ? c.status : '?') + (details ? ' — ' + details : '')]);
      }
    } else {
      const walk = (prefix, v, depth) => {
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 3) {
          for (const [k, x] of Object.entries(v)) walk(prefix ? prefix + '.' + k : k, x, depth + 1);
        } else {
          entries.push([prefix, scalar(v)]);
        }
      };
      walk('', h, 0);
    }
    for (const [k, v] of entries.slice(0, 40)) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      dl.append(dt, dd);
    }
    const badge = $('health-badge');
    const status = String(h && h.status !== undefined ? h.status : h && h.healthy !== undefined
      ? (h.healthy ? 'ok' : 'unhealthy') : 'unknown');
    const low = status.toLowerCase();
    badge.textContent = 'health: ' + status;
    badge.className = 'badge ' + (/^(ok|healthy|up|pass|true)$/.test(low) ? 'badge-ok'
      : /^(degraded|warn|starting|restarting|out_of_service)/.test(low) ? 'badge-warn'
        : low === 'unknown' ? 'badge-unknown' : 'badge-bad');
    return entries.length;
  }

  async function healthFetch() {
    // An unhealthy app may be answered with 503 and still carry its JSON.
    const r = await fetch('/z/health', { cache: 'no-store' });
    const text = await r.text();
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new Error('/z/health: HTTP ' + r.status);
    }
  }

  // ---- the app shown (warden watch judges several: /api/apps) ----

  // "" is the default app: warden run's one app, or the logs no [app] section claims.
  let app = new URLSearchParams(window.location.search).get('app') || '';

  function withApp(url) {
    return app ? url + (url.includes('?') ? '&' : '?') + 'app=' + encodeURIComponent(app) : url;
  }

  async function loadApps() {
    const sel = $('app');
    let apps = [];
    try {
      apps = (await getJSON('/api/apps')).apps || [];
    } catch (e) {
      apps = [];
    }
    sel.textContent = '';
    for (const a of apps) {
      const o = document.createElement('option');
      o.value = a.name;
      o.textContent = a.name || (apps.length > 1 ? '(unclaimed logs)' : 'the app');
      sel.appendChild(o);
    }
    if (!apps.some((a) => a.name === app)) app = apps.length ? apps[0].name : '';
    sel.value = app;
    $('app-choice').hidden = apps.length < 2;
    document.body.dataset.apps = String(apps.length);
  }

  // ---- loading ----

  const views = [
    { el: 'chart-hits', url: (d) => '/api/hits?top=10&days=' + d, render: renderHits },
    {
      el: 'chart-heatmap',
      url: (d) => '/api/heatmap?days=' + d + '&tz=' + (-new Date().getTimezoneOffset()),
      render: (x) => { heatmapData = x; return drawHeatmap(); },
    },
    { el: 'chart-latency', url: (d) => '/api/latency?days=' + d, render: renderLatency, key: 'latency' },
    { el: 'chart-versions', key: 'latency', render: renderVersions },
    { el: 'chart-status', url: (d) => '/api/status?days=' + d, render: renderStatus },
    { el: 'chart-clients', url: (d) => '/api/clients?limit=15&days=' + d, render: renderClients },
    { el: 'routes', url: (d) => '/api/routes?days=' + d, render: renderRoutes },
    { el: 'outliers', url: () => '/api/outliers?limit=100', render: renderOutliers },
    { el: 'bans', url: () => '/api/bans?limit=200', render: renderBans },
    { el: 'health', fetch: healthFetch, render: renderHealth },
  ];

  async function load() {
    const days = Number($('range').value);
    const fetched = {};
    const jobs = views.map((v) => {
      if (v.fetch) return v.fetch();
      if (!v.url) return null;
      const p = getJSON(withApp(v.url(days)));
      if (v.key) fetched[v.key] = p;
      return p;
    });
    await Promise.allSettled(jobs.filter(Boolean));
    for (let i = 0; i < views.length; i++) {
      const v = views[i];
      const el = $(v.el);
      try {
        const data = await (jobs[i] || fetched[v.key]);
        markDrawn(el, v.render(data));
        setError(el, null);
      } catch (e) {
        markDrawn(el, 0);
        setError(el, e);
      }
    }
    try {
      const ver = await getJSON(withApp('/api/versions?days=' + days));
      $('version').textContent = 'app version ' + shortVersion(ver.current);
    } catch (e) {
      $('version').textContent = '';
    }
    $('updated').textContent = 'updated ' + fmtTime(Date.now() / 1000);
    document.body.dataset.loaded = String(Date.now());
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { load().finally(schedule); }, REFRESH_MS);
  }

  function start() {
    if (typeof Chart === 'undefined') {
      document.body.dataset.error = 'Chart.js did not load';
      return;
    }
    Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';
    Chart.defaults.color = '#3b4653';
    Chart.defaults.animation = false;
    $('range').addEventListener('change', () => { load().finally(schedule); });
    $('app').addEventListener('change', () => {
      app = $('app').value;
      const u = new URL(window.location.href);
      if (app) u.searchParams.set('app', app); else u.searchParams.delete('app');
      window.history.replaceState(null, '', u);
      load().finally(schedule);
    });
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(drawHeatmap, 100);
    });
    loadApps().then(load).finally(schedule);
  }

  start();
}());
