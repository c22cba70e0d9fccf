/* The supervisors' dashboard (api/ui/templates/ui/dashboard.html): ECharts map, trend, categories and levels.
   A static file, not an inline script: the Content-Security-Policy runs scripts from this origin only. The
   figures come from the page's JSON data block (#dashboard-data). Tooltips are drawn on the canvas
   (renderMode 'richText'): ECharts' HTML tooltips carry style attributes, which the policy refuses. */
(function () {
  var holder = document.getElementById('dashboard-data');
  if (!holder) { return; }
  var d = JSON.parse(holder.textContent);
  var areas = d.areas, warnings = d.warnings, trend = d.trend, categories = d.categories, levels = d.levels;
  var colours = d.colours, byPark = d.by_park;
  var mapEl = document.getElementById('map');
  var map = echarts.init(mapEl, null, {renderer: 'canvas'});
  window.dashboardCharts = {map: map};
  function mapData(metric) {
    if (metric.indexOf('warn:') === 0) {  // current warning levels, not the case window
      var lv = metric.slice(5);
      return warnings.map(function (w) { return {name: w.label, value: w[lv] || 0, code: w.key}; });
    }
    return areas.map(function (r) { return {name: r.label, value: r[metric] || 0, code: r.key}; });
  }
  fetch(mapEl.dataset.geo, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (geo) {
    geo.features.forEach(function (f) { f.properties.name = f.properties.name; });
    echarts.registerMap('region', geo);
    var names = {};
    geo.features.forEach(function (f) { names[f.properties.name] = f.properties.code; });
    function draw(metric) {
      var data = mapData(metric);
      var max = Math.max.apply(null, data.map(function (d) { return d.value; }).concat([1]));
      map.setOption({
        tooltip: {trigger: 'item', renderMode: 'richText', formatter: function (p) { return p.name + '：' + (p.value || 0); }},
        visualMap: {min: 0, max: max, left: 'left', bottom: 10, text: ['多', '少'], calculable: true,
                    inRange: {color: ['#fff3e0', '#f08c00', '#b71c1c']}},
        series: [{type: 'map', map: 'region', roam: true, label: {show: true, fontSize: 10},
                  data: byPark ? [] : data}]
      }, true);
      mapEl.dataset.ready = String(data.length);
      mapEl.dataset.metric = metric;
      mapEl.dataset.total = String(data.reduce(function (a, d) { return a + d.value; }, 0));
    }
    draw('cases');
    document.querySelectorAll('input[name=metric]').forEach(function (el) {
      el.addEventListener('change', function () { draw(el.value); });
    });
    map.on('click', function (p) {
      var code = names[p.name];
      if (code && !byPark) {
        var u = new URL(window.location.href); u.searchParams.set('region', code); window.location.href = u.toString();
      }
    });
  });
  var t = echarts.init(document.getElementById('trend'));
  t.setOption({tooltip: {trigger: 'axis', renderMode: 'richText'}, legend: {data: ['案件', '调解成功', '集体争议']},
    xAxis: {type: 'category', data: trend.map(function (r) { return String(r.key).slice(0, 7); })},
    yAxis: {type: 'value', minInterval: 1},
    series: [{name: '案件', type: 'line', data: trend.map(function (r) { return r.cases; })},
             {name: '调解成功', type: 'line', data: trend.map(function (r) { return r.agreed; })},
             {name: '集体争议', type: 'bar', data: trend.map(function (r) { return r.collective; })}]});
  var c = echarts.init(document.getElementById('categories'));
  c.setOption({tooltip: {trigger: 'item', renderMode: 'richText'}, series: [{type: 'pie', radius: ['35%', '65%'],
    data: categories.map(function (r) { return {name: r.label, value: r.cases}; })}]});
  var l = echarts.init(document.getElementById('levels'));
  l.setOption({tooltip: {trigger: 'item', renderMode: 'richText'}, xAxis: {type: 'category', data: levels.map(function (r) { return r.label; })},
    yAxis: {type: 'value', minInterval: 1}, series: [{type: 'bar', data: levels.map(function (r) {
      return {value: r.cases, itemStyle: {color: colours[r.key] || '#90a4ae'}}; })}]});
  window.addEventListener('resize', function () { map.resize(); t.resize(); c.resize(); l.resize(); });
})();
