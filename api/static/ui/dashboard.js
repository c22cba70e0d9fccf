/* Tooltips are drawn on the canvas (renderMode 'richText'): ECharts' HTML tooltips carry style attributes,
   which the Content-Security-Policy refuses. */
/* The supervisor dashboard's charts (ECharts, vendored). The data comes from data-* attributes written by the
   server (api/ui/templates/ui/dashboard.html): no inline script, so the page works under a strict CSP. */
(function () {
  'use strict';

  function data(el, name) { return el ? JSON.parse(el.getAttribute('data-' + name) || '[]') : []; }

  function mapChart(el) {
    var areas = data(el, 'areas');
    var warnings = data(el, 'warnings');
    var map = echarts.init(el, null, {renderer: 'canvas'});
    window.dashboardCharts.map = map;
    function mapData(metric) {
      if (metric.indexOf('warn:') === 0) {  // current warning levels, not the case window
        var lv = metric.slice(5);
        return warnings.map(function (w) { return {name: w.label, value: w[lv] || 0, code: w.key}; });
      }
      return areas.map(function (r) { return {name: r.label, value: r[metric] || 0, code: r.key}; });
    }
    fetch(el.dataset.geo, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (geo) {
      echarts.registerMap('region', geo);
      var names = {};
      geo.features.forEach(function (f) { names[f.properties.name] = f.properties.code; });
      function draw(metric) {
        var rows = mapData(metric);
        var max = Math.max.apply(null, rows.map(function (d) { return d.value; }).concat([1]));
        map.setOption({
          tooltip: {trigger: 'item', renderMode: 'richText', formatter: function (p) { return p.name + '：' + (p.value || 0); }},
          visualMap: {min: 0, max: max, left: 'left', bottom: 10, text: ['多', '少'], calculable: true,
                      inRange: {color: ['#fff3e0', '#f08c00', '#b71c1c']}},
          series: [{type: 'map', map: 'region', roam: true, label: {show: true, fontSize: 10}, data: rows}]
        }, true);
        el.dataset.ready = String(rows.length);
        el.dataset.metric = metric;
        el.dataset.total = String(rows.reduce(function (a, d) { return a + d.value; }, 0));
      }
      draw('cases');
      document.querySelectorAll('input[name=metric]').forEach(function (input) {
        input.addEventListener('change', function () { draw(input.value); });
      });
      map.on('click', function (p) {  // drill down into the district clicked
        var code = names[p.name];
        if (code) {
          var u = new URL(el.dataset.drill, window.location.href);
          u.searchParams.set('region', code);
          window.location.href = u.toString();
        }
      });
    });
  }

  /* A county has no boundaries for its parks: its parks as bars, each a link to the park's own view. */
  function parksChart(el) {
    var rows = data(el, 'rows');
    var chart = echarts.init(el);
    window.dashboardCharts.parks = chart;
    chart.setOption({
      tooltip: {trigger: 'axis', renderMode: 'richText'}, grid: {left: 140, right: 20, top: 10, bottom: 20},
      xAxis: {type: 'value', minInterval: 1},
      yAxis: {type: 'category', inverse: true, data: rows.map(function (r) { return r.label; })},
      series: [{type: 'bar', data: rows.map(function (r) { return {value: r.cases, key: r.key}; }),
                itemStyle: {color: '#d9363e'}, cursor: 'pointer'}]
    });
    chart.on('click', function (p) {
      var u = new URL(el.dataset.drill, window.location.href);
      u.searchParams.set('park', rows[p.dataIndex].key);
      window.location.href = u.toString();
    });
    el.dataset.ready = String(rows.length);
  }

  function init() {
    if (typeof echarts === 'undefined') { return; }
    window.dashboardCharts = {};
    var charts = [];
    var mapEl = document.getElementById('map');
    if (mapEl) { mapChart(mapEl); charts.push(window.dashboardCharts.map); }
    var parksEl = document.getElementById('parks-chart');
    if (parksEl) { parksChart(parksEl); charts.push(window.dashboardCharts.parks); }
    var trendEl = document.getElementById('trend');
    if (trendEl) {
      var trend = data(trendEl, 'rows');
      var t = echarts.init(trendEl);
      t.setOption({tooltip: {trigger: 'axis', renderMode: 'richText'}, legend: {data: ['案件', '调解成功', '集体争议']},
        xAxis: {type: 'category', data: trend.map(function (r) { return String(r.key).slice(0, 7); })},
        yAxis: {type: 'value', minInterval: 1},
        series: [{name: '案件', type: 'line', data: trend.map(function (r) { return r.cases; })},
                 {name: '调解成功', type: 'line', data: trend.map(function (r) { return r.agreed; })},
                 {name: '集体争议', type: 'bar', data: trend.map(function (r) { return r.collective; })}]});
      charts.push(t);
    }
    var catEl = document.getElementById('categories');
    if (catEl) {
      var c = echarts.init(catEl);
      c.setOption({tooltip: {trigger: 'item', renderMode: 'richText'}, series: [{type: 'pie', radius: ['35%', '65%'],
        data: data(catEl, 'rows').map(function (r) { return {name: r.label, value: r.cases}; })}]});
      charts.push(c);
    }
    var lvEl = document.getElementById('levels');
    if (lvEl) {  // enterprises (家) at each warning level, most severe first
      var levels = data(lvEl, 'rows');
      var colours = JSON.parse(lvEl.getAttribute('data-colours') || '{}');
      var l = echarts.init(lvEl);
      l.setOption({tooltip: {trigger: 'axis', renderMode: 'richText', formatter: function (p) { return p[0].name + '：' + p[0].value + '家'; }},
        xAxis: {type: 'category', data: levels.map(function (r) { return r.label; })},
        yAxis: {type: 'value', minInterval: 1, name: '家'},
        series: [{type: 'bar', label: {show: true, position: 'top', formatter: '{c}家'},
                  data: levels.map(function (r) { return {value: r.value, itemStyle: {color: colours[r.key] || '#90a4ae'}}; })}]});
      window.dashboardCharts.levels = l;
      lvEl.dataset.ready = levels.map(function (r) { return r.key + ':' + r.value; }).join(',');
      charts.push(l);
    }
    window.addEventListener('resize', function () { charts.forEach(function (ch) { ch.resize(); }); });
  }

  if (document.readyState !== 'loading') { init(); } else { document.addEventListener('DOMContentLoaded', init); }
})();
