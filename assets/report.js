/* lifecircle report: draws the inlined map data with Leaflet, offline.
 * Data: <script id="lc-data"> (see src/report/html.rs), labels in both
 * languages: <script id="lc-labels"> (data/report/labels.json).
 * Open with #lang=zh for Chinese; #selftest writes a JSON check of the page
 * into <pre id="lc-selftest"> (used by the browser tests). */
(function () {
  'use strict';
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message || e)); });

  var LABELS = JSON.parse(document.getElementById('lc-labels').textContent);
  var D = JSON.parse(document.getElementById('lc-data').textContent);
  var S = D.scale;
  var hash = location.hash || '';
  var lang = /lang=zh/.test(hash) ? 'zh' : 'en';
  var NC = D.categories.length;
  var COLOURS = {};
  D.colours.forEach(function (kv) { COLOURS[kv[0]] = kv[1]; });

  // ---------- text ----------
  function t(key, args) {
    var s = LABELS[lang][key];
    if (s === undefined) s = key;
    if (args) Object.keys(args).forEach(function (k) { s = s.split('{' + k + '}').join(String(args[k])); });
    return s;
  }
  function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }
  // Category names and threshold texts come worked out in both languages (src/report/labels.rs),
  // the same the PNG legend shows.
  function catLabel(c) { return D.texts[lang].categories[c]; }
  function thresholdText(label) { var s = D.texts[lang].thresholds[label]; return s === undefined ? String(label) : s; }
  function districtName(key) { return key === '(outside)' ? t('outside') : key; }
  function mainThreshold() { return D.texts[lang].main_threshold; }
  function pct(v) { return v === null || v === undefined || isNaN(v) ? '–' : (v * 100).toFixed(1) + '%'; }
  function num(v, d) { return v === null || v === undefined ? '–' : Number(v).toLocaleString('en-US', { maximumFractionDigits: d || 0 }); }
  function popcount(m) { var n = 0; while (m > 0) { n += m % 2; m = Math.floor(m / 2); } return n; }
  function bit(m, c) { return Math.floor(m / Math.pow(2, c)) % 2 === 1; }

  // ---------- geometry ----------
  function decodeLine(a) {
    var x = a[0], y = a[1], out = [[y / S, x / S]];
    for (var i = 2; i + 1 < a.length; i += 2) { x += a[i]; y += a[i + 1]; out.push([y / S, x / S]); }
    return out;
  }
  function decodePolys(polys) { return polys.map(function (rings) { return rings.map(decodeLine); }); }

  // ---------- map ----------
  var map = L.map('lc-map', { preferCanvas: true, zoomSnap: 0.25, attributionControl: false, zoomControl: false });
  var zoomControl = null;
  // Panes: hexagons, areas, districts and the network on one canvas (overlay, 400; one canvas, so
  // every shape on it gets its hover) < home points (410, a canvas that takes no pointer events) <
  // facilities (420, SVG whose root lets events through to the canvas below) < sites (markers, 600).
  var renderer = L.canvas({ padding: 0.5 });
  map.createPane('lcHomes').style.zIndex = 410;
  var facilityPane = map.createPane('lcFacilities');
  facilityPane.style.zIndex = 420;
  var facilityRenderer = L.svg({ padding: 0.5, pane: 'lcFacilities' });
  var bounds = L.latLngBounds([D.bbox[1], D.bbox[0]], [D.bbox[3], D.bbox[2]]);
  if (D.bbox[0] === D.bbox[2] && D.bbox[1] === D.bbox[3]) {
    map.setView([D.bbox[1], D.bbox[0]], D.bbox[0] === 0 && D.bbox[1] === 0 ? 2 : 16);
  } else {
    map.fitBounds(bounds, { padding: [12, 12] });
  }
  L.control.scale({ imperial: false, position: 'bottomright' }).addTo(map);

  var layers = {};       // name -> Leaflet layer
  var drawnBy = {};      // name -> features in the layer
  var onByDefault = {};

  var tiles = L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', { maxZoom: 19, opacity: 0.6 });
  layers.tiles = tiles; drawnBy.tiles = 0; onByDefault.tiles = false;

  // Walking network, from the analysis' own graph.
  var networkLines = [];
  (function () {
    var sx = 0, sy = 0; // each line's start is relative to the previous line's start
    D.network.forEach(function (a) {
      sx += a[0]; sy += a[1];
      var b = a.slice(); b[0] = sx; b[1] = sy;
      networkLines.push(decodeLine(b));
    });
  })();
  if (D.network_image) {
    // Too many ways to send as lines: one picture of them, drawn by lifecircle from the same graph,
    // over areas, districts and hexagons and under homes, as the lines would be.
    map.createPane('lcNetwork').style.zIndex = 405;
    var nb = D.network_image.bbox;
    layers.network = L.imageOverlay(D.network_image.url, [[nb[1], nb[0]], [nb[3], nb[2]]],
      { pane: 'lcNetwork', interactive: false, opacity: 0.9 });
  } else {
    layers.network = L.polyline(networkLines, {
      renderer: renderer, color: COLOURS.network, weight: 1, opacity: 0.9, interactive: false, smoothFactor: 1.5
    });
  }
  drawnBy.network = D.network_edges; onByDefault.network = true;

  // Coverage areas (per category) and service areas (per facility).
  var areaGroups = {};
  D.areas.forEach(function (a) {
    var name = a.f === null ? 'coverage_' + a.c + '_' + a.t : 'service_' + a.t;
    if (!areaGroups[name]) areaGroups[name] = { group: L.layerGroup(), n: 0, c: a.c, t: a.t, kind: a.f === null ? 'coverage' : 'service' };
    var colour = D.categories[a.c].colour;
    var poly = L.polygon(decodePolys(a.polys), {
      renderer: renderer, color: colour, weight: a.f === null ? 1.5 : 1, opacity: 0.9,
      fillColor: colour, fillOpacity: a.f === null ? 0.12 : 0.06, interactive: a.f !== null
    });
    if (a.f !== null) {
      poly.bindTooltip(function () {
        var f = D.facilities[a.f];
        return esc(f.name || f.id) + '<br>' + esc(t('service_areas')) + ' · ' + esc(thresholdText(a.t));
      }, { sticky: true });
    }
    areaGroups[name].group.addLayer(poly);
    areaGroups[name].n += 1;
  });
  function areaOrder(a, b) {
    var ga = areaGroups[a], gb = areaGroups[b];
    if (ga.kind !== gb.kind) return ga.kind === 'coverage' ? -1 : 1;
    if (ga.c !== gb.c && ga.kind === 'coverage') return ga.c - gb.c;
    return parseFloat(ga.t) - parseFloat(gb.t);
  }
  var areaNames = Object.keys(areaGroups).sort(areaOrder);
  areaNames.forEach(function (name) {
    var g = areaGroups[name];
    layers[name] = g.group; drawnBy[name] = g.n;
    // Category areas at their main threshold are shown; the rest on request.
    onByDefault[name] = g.kind === 'coverage' && g.t === D.categories[g.c].threshold;
  });

  // Districts: choropleth of the share of homes reaching every category.
  var DISTRICT_RAMP = ['#f1eef6', '#bdc9e1', '#74a9cf', '#2b8cbe', '#045a8d'];
  var NO_HOMES = '#dddddd';
  var H = D.homes;
  function districtColour(share) {
    if (share === null || share === undefined) return NO_HOMES;
    return DISTRICT_RAMP[Math.min(DISTRICT_RAMP.length - 1, Math.floor(share * DISTRICT_RAMP.length))];
  }
  var districtLayers = [];
  if (D.districts.length) {
    var dg = L.layerGroup();
    D.districts.forEach(function (d) {
      var share = d.row && d.row.homes > 0 ? d.row.complete_share : null;
      // Over hexagons, districts are outlines, as in the PNG, and leave the hover to the hexagons
      // (the district table has their figures).
      var poly = L.polygon(decodePolys(d.polys), {
        renderer: renderer, color: '#333', weight: H.mode === 'hex' ? 2 : 1.2, fill: H.mode !== 'hex', interactive: H.mode !== 'hex',
        fillColor: districtColour(share), fillOpacity: 0.45
      });
      poly.bindTooltip(function () {
        var s = '<b>' + esc(districtName(d.key)) + '</b>';
        if (d.row) {
          s += '<br>' + esc(t('homes_total')) + ': ' + num(d.row.homes);
          s += '<br>' + esc(t('district_share')) + ': ' + pct(d.row.homes ? d.row.complete_share : null);
          d.row.categories.forEach(function (cs, c) { s += '<br>' + esc(catLabel(c)) + ': ' + pct(d.row.homes ? cs.share : null); });
        }
        return s;
      }, { sticky: true });
      dg.addLayer(poly);
      districtLayers.push(poly);
    });
    layers.districts = dg; drawnBy.districts = D.districts.length; onByDefault.districts = true;
  }

  // Homes: points on one canvas, or hexagons.
  var colourBy = -1; // -1: number of categories reached; c: reached category c or not
  function homeColour(mask, reachable) {
    if (!reachable) return COLOURS.unreachable;
    if (colourBy < 0) return D.classes[Math.min(popcount(mask), NC)];
    return bit(mask, colourBy) ? D.classes[NC] : D.classes[0];
  }
  var homeLat = [], homeLng = [];
  if (H.mode === 'points') {
    var hx = 0, hy = 0;
    for (var i = 0; i < H.count; i++) {
      hx += H.xy[2 * i]; hy += H.xy[2 * i + 1];
      homeLng.push(hx / S); homeLat.push(hy / S);
    }
  }
  var HomesLayer = L.Layer.extend({
    drawn: 0,
    onAdd: function (m) {
      this._canvas = L.DomUtil.create('canvas', 'leaflet-zoom-hide');
      this._canvas.style.pointerEvents = 'none';
      m.getPane('lcHomes').appendChild(this._canvas);
      m.on('moveend zoomend resize viewreset', this.redraw, this);
      this.redraw();
    },
    onRemove: function (m) {
      L.DomUtil.remove(this._canvas);
      m.off('moveend zoomend resize viewreset', this.redraw, this);
      this.drawn = 0;
    },
    redraw: function () {
      if (!this._map) return;
      var m = this._map, size = m.getSize(), cv = this._canvas, dpr = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(cv, m.containerPointToLayerPoint([0, 0]));
      cv.width = Math.round(size.x * dpr); cv.height = Math.round(size.y * dpr);
      cv.style.width = size.x + 'px'; cv.style.height = size.y + 'px';
      var ctx = cv.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      var r = Math.max(2, Math.min(5, (m.getZoom() - 11) * 0.9));
      // Group by colour: one path per colour, the better classes drawn last (on top).
      var buckets = {}, order = [];
      var n = 0;
      for (var i = 0; i < H.count; i++) {
        var p = m.latLngToContainerPoint([homeLat[i], homeLng[i]]);
        if (p.x < -r || p.y < -r || p.x > size.x + r || p.y > size.y + r) continue;
        var col = homeColour(H.mask[i], H.reachable[i] === 1);
        if (!buckets[col]) { buckets[col] = []; order.push(col); }
        buckets[col].push(p.x, p.y);
        n += 1;
      }
      var rank = function (col) { var k = D.classes.indexOf(col); return k < 0 ? -1 : k; };
      order.sort(function (a, b) { return rank(a) - rank(b); });
      order.forEach(function (col) {
        var b = buckets[col];
        ctx.beginPath();
        for (var j = 0; j < b.length; j += 2) { ctx.moveTo(b[j] + r, b[j + 1]); ctx.arc(b[j], b[j + 1], r, 0, 2 * Math.PI); }
        ctx.fillStyle = col; ctx.fill();
        if (r >= 3) { ctx.lineWidth = 0.5; ctx.strokeStyle = 'rgba(0,0,0,0.35)'; ctx.stroke(); }
      });
      this.drawn = n;
    },
    nearest: function (latlng, maxPx) {
      var m = this._map, q = m.latLngToContainerPoint(latlng), best = -1, bd = maxPx * maxPx;
      for (var i = 0; i < H.count; i++) {
        var p = m.latLngToContainerPoint([homeLat[i], homeLng[i]]);
        var d = (p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y);
        if (d <= bd) { bd = d; best = i; }
      }
      return best;
    }
  });
  var homesLayer = null, hexLayers = [];
  if (H.mode === 'points') {
    homesLayer = new HomesLayer();
    layers.homes = homesLayer; onByDefault.homes = true;
    map.on('click', function (e) {
      if (!map.hasLayer(homesLayer)) return;
      var i = homesLayer.nearest(e.latlng, 8);
      if (i < 0) return;
      var s = '<b>' + esc(t('homes')) + '</b>';
      if (H.population) s += '<br>' + esc(t('population')) + ': ' + num(H.population[i], 1);
      if (H.reachable[i] !== 1) s += '<br>' + esc(t('unreachable'));
      s += '<br>' + esc(t('walk_to')) + ':';
      for (var c = 0; c < NC; c++) {
        var m10 = H.tenth_min[c][i];
        s += '<br>' + (bit(H.mask[i], c) ? '✓ ' : '✗ ') + esc(catLabel(c)) + ': ' +
          (m10 < 0 ? esc(t('not_reached')) : (m10 / 10).toFixed(1) + ' ' + esc(t('min')));
      }
      L.popup().setLatLng([homeLat[i], homeLng[i]]).setContent(s).openOn(map);
    });
  } else {
    var hg = L.layerGroup();
    H.cells.forEach(function (cell) {
      var poly = L.polygon(decodeLine(cell.ring), { renderer: renderer, weight: 0.5, color: '#555', fillOpacity: 0.75 });
      poly.bindTooltip(function () {
        var s = esc(t('homes_total')) + ': ' + num(cell.homes) + '<br>' + esc(t('population')) + ': ' + num(cell.population, 1);
        cell.shares.forEach(function (sh, c) { s += '<br>' + esc(catLabel(c)) + ': ' + pct(sh); });
        if (cell.unreachable) s += '<br>' + esc(t('unreachable')) + ': ' + num(cell.unreachable);
        return s;
      }, { sticky: true });
      poly._lcCell = cell;
      hexLayers.push(poly);
      hg.addLayer(poly);
    });
    layers.hexagons = hg; onByDefault.hexagons = true;
  }
  if (H.mode === 'points') drawnBy.homes = H.count; else drawnBy.hexagons = H.cells.length;
  // A hexagon's class, as the PNG draws it (src/report/png: of_cell): grey when every home in it is
  // off the network; by one category, reached when at least half its people reach it.
  function cellColour(cell) {
    if (cell.homes > 0 && cell.unreachable === cell.homes) return COLOURS.unreachable;
    if (colourBy < 0) return D.classes[Math.min(NC, Math.max(0, Math.round(cell.mean)))];
    return cell.shares[colourBy] >= 0.5 ? D.classes[NC] : D.classes[0];
  }
  function restyleHomes() {
    if (homesLayer) { homesLayer.redraw(); return; }
    hexLayers.forEach(function (poly) { poly.setStyle({ fillColor: cellColour(poly._lcCell) }); });
  }

  // Facilities per category, names on hover.
  var facilityGroups = [];
  for (var c = 0; c < NC; c++) facilityGroups.push(L.layerGroup());
  D.facilities.forEach(function (f) {
    var mk = L.circleMarker([f.lat, f.lon], {
      renderer: facilityRenderer, radius: 6, color: '#ffffff', weight: 1.5, fillColor: D.categories[f.c].colour, fillOpacity: 1
    });
    mk.bindTooltip(function () { return '<b>' + esc(f.name || f.id) + '</b><br>' + esc(catLabel(f.c)); });
    facilityGroups[f.c].addLayer(mk);
  });
  facilityGroups.forEach(function (g, c) {
    layers['facilities_' + c] = g; drawnBy['facilities_' + c] = D.categories[c].facilities; onByDefault['facilities_' + c] = true;
  });

  // Proposed sites.
  if (D.sites) {
    var sg = L.layerGroup();
    D.sites.sites.forEach(function (s) {
      var mk = L.marker([s.lat, s.lon], {
        icon: L.divIcon({ className: 'lc-site-icon', html: String(s.rank), iconSize: [22, 22] })
      });
      mk.bindTooltip(function () {
        return '<b>' + esc(t('site_rank', { n: s.rank })) + '</b> (' + esc(catLabel(D.sites.c)) + ')<br>' +
          esc(s.id) + '<br>+' + num(s.homes_gained) + ' ' + esc(t('homes')) + ', +' + num(s.population_gained, 1) + ' ' + esc(t('population'));
      });
      sg.addLayer(mk);
    });
    layers.sites = sg; drawnBy.sites = D.sites.sites.length; onByDefault.sites = true;
  }

  // Drawing order: tiles, districts, areas, network, homes, facilities, sites.
  var ORDER = ['tiles', 'hexagons', 'districts'].concat(areaNames, ['network', 'homes'],
    facilityGroups.map(function (_, c) { return 'facilities_' + c; }), ['sites']);
  ORDER.forEach(function (name) { if (layers[name] && onByDefault[name]) layers[name].addTo(map); });
  function setLayer(name, on) {
    var l = layers[name];
    if (!l) return;
    if (on) {
      l.addTo(map);
      // keep the order: re-add everything above it
      var k = ORDER.indexOf(name);
      ORDER.slice(k + 1).forEach(function (above) {
        if (layers[above] && map.hasLayer(layers[above]) && above !== 'homes') { map.removeLayer(layers[above]); layers[above].addTo(map); }
      });
    } else map.removeLayer(l);
  }

  // ---------- legend (on the map) and panel ----------
  var legend = L.control({ position: 'bottomleft' });
  legend.onAdd = function () { var div = L.DomUtil.create('div', 'lc-legend'); div.id = 'lc-legend'; L.DomEvent.disableScrollPropagation(div); return div; };
  legend.addTo(map);

  function swatch(col, round) { return '<span class="swatch' + (round ? ' dot' : '') + '" style="background:' + col + '"></span>'; }
  function anyUnreachable() {
    if (H.mode !== 'points') return H.cells.some(function (c) { return c.homes > 0 && c.unreachable === c.homes; });
    for (var i = 0; i < H.count; i++) if (H.reachable[i] !== 1) return true;
    return false;
  }
  function buildLegend() {
    var s = '<h3>' + esc(t('legend')) + '</h3>';
    if (colourBy < 0) {
      s += '<div><b>' + esc(t('homes_reaching', { t: mainThreshold() })) + '</b></div>';
      if (H.mode === 'hex') s += '<div class="lc-note">' + esc(t('hexagons', { n: num(H.count) })) + '</div>';
      for (var k = 0; k <= NC; k++) s += '<div>' + swatch(D.classes[k], true) + esc(t('reach_n', { n: k, total: NC })) + '</div>';
    } else {
      var th = thresholdText(D.categories[colourBy].threshold);
      s += '<div><b>' + esc(t('homes')) + ': ' + esc(catLabel(colourBy)) + '</b></div>';
      var hex = H.mode === 'hex';
      s += '<div>' + swatch(D.classes[NC], true) + esc(t(hex ? 'hex_covered' : 'covered', { t: th })) + '</div>';
      s += '<div>' + swatch(D.classes[0], true) + esc(t(hex ? 'hex_not_covered' : 'not_covered', { t: th })) + '</div>';
    }
    if (anyUnreachable()) s += '<div>' + swatch(COLOURS.unreachable, true) + esc(t('unreachable')) + '</div>';
    s += '<div style="margin-top:4px"><b>' + esc(t('facilities')) + '</b></div>';
    D.categories.forEach(function (k, c) {
      s += '<div>' + swatch(k.colour, true) + esc(catLabel(c)) + ' (' + (k.facilities ? num(k.facilities) : esc(t('empty_category'))) + ')</div>';
    });
    if (Object.keys(areaGroups).length) {
      s += '<div style="margin-top:4px"><b>' + esc(t('coverage_areas')) + '</b> · ' + esc(mainThreshold()) + '</div>';
    }
    if (D.districts.length) {
      s += '<div style="margin-top:4px"><b>' + esc(t('districts')) + '</b>: ' + esc(t('district_share')) + '</div>';
      if (H.mode === 'hex') {
        s += '<div>' + swatch('#ffffff') + esc(t('district_outlines')) + '</div>';
      } else {
        s += '<div class="gradient" style="background:linear-gradient(to right,' + DISTRICT_RAMP.join(',') + ')"></div><div>0% — 100%</div>';
        if (D.districts.some(function (d) { return !d.row || d.row.homes === 0; })) s += '<div>' + swatch(NO_HOMES) + esc(t('no_homes')) + '</div>';
      }
    }
    if (D.sites) s += '<div style="margin-top:4px">' + swatch(COLOURS.site, true) + esc(t('sites')) + ' (' + esc(catLabel(D.sites.c)) + ')</div>';
    s += '<div style="margin-top:4px">' + swatch(COLOURS.network) + esc(t('network')) + '</div>';
    document.getElementById('lc-legend').innerHTML = s;
  }

  var panel = document.getElementById('lc-panel');
  function layerLabel(name) {
    if (name === 'network') return t('network');
    if (name === 'homes') return t('homes');
    if (name === 'hexagons') return t('homes_hexagons', { n: num(H.count) });
    if (name === 'tiles') return t('online_tiles');
    if (name === 'districts') return t('districts');
    if (name === 'sites') return t('sites');
    if (name.indexOf('facilities_') === 0) return t('facilities') + ': ' + catLabel(+name.slice(11));
    var g = areaGroups[name];
    if (g.kind === 'coverage') return t('coverage_areas') + ': ' + catLabel(g.c) + ' · ' + thresholdText(g.t);
    return t('service_areas') + ' · ' + thresholdText(g.t);
  }
  function buildPanel() {
    var sm = D.summary, s = '';
    s += '<button id="lc-lang" type="button">' + esc(t('switch_to')) + '</button>';
    s += '<h1>' + esc(t('title')) + '</h1><p class="sub">' + esc(D.title) + ' · ' + esc(t('subtitle')) + '</p>';
    s += '<h2>' + esc(t('layers')) + '</h2>';
    s += '<label>' + esc(t('show_homes_for')) + ' <select id="lc-colour-by"><option value="-1">' + esc(t('all_categories')) + '</option>';
    D.categories.forEach(function (k, c) { s += '<option value="' + c + '"' + (colourBy === c ? ' selected' : '') + '>' + esc(catLabel(c)) + '</option>'; });
    s += '</select></label>';
    ORDER.forEach(function (name) {
      if (!layers[name]) return;
      s += '<label><input type="checkbox" data-layer="' + name + '"' + (map.hasLayer(layers[name]) ? ' checked' : '') + '> ' +
        esc(layerLabel(name)) + (name === 'tiles' ? '' : ' <span class="lc-note">(' + num(drawnBy[name]) + ')</span>') + '</label>';
    });
    if (D.hexagons_coarsened_from !== null && H.mode === 'hex') {
      s += '<p class="lc-note">' + esc(t('hexagons_coarsened', { r: H.resolution, from: D.hexagons_coarsened_from })) + '</p>';
    }
    if (D.network_image) s += '<p class="lc-note">' + esc(t('network_picture', { n: num(D.network_edges) })) + '</p>';
    else if (D.network_simplified_m > 0) s += '<p class="lc-note">' + esc(t('network_simplified', { m: D.network_simplified_m })) + '</p>';
    if (D.area_points_dropped) s += '<p class="lc-note">' + esc(t('facility_areas_dropped', { n: num(D.area_points_dropped) })) + '</p>';

    s += '<h2>' + esc(t('summary')) + '</h2><table>';
    s += '<tr><td>' + esc(t('homes_total')) + '</td><td class="num">' + num(sm.homes.total) + '</td></tr>';
    s += '<tr><td>' + esc(t('population')) + '</td><td class="num">' + num(sm.homes.population, 1) + '</td></tr>';
    s += '<tr><td>' + esc(t('unreachable')) + '</td><td class="num">' + num(sm.homes.unreachable) + '</td></tr>';
    s += '<tr><td>' + esc(t('network_km')) + '</td><td class="num">' + esc(t('km', { n: num(sm.graph.length_km, 1) })) + '</td></tr>';
    s += '<tr><td>' + esc(t('threshold')) + '</td><td class="num">' + esc(mainThreshold()) + '</td></tr>';
    s += '</table><table style="margin-top:6px"><tr><th>' + esc(t('category')) + '</th><th class="num">' + esc(t('facilities_n')) +
      '</th><th class="num">' + esc(t('share_homes')) + '</th><th class="num">' + esc(t('share_population')) + '</th><th class="num">' +
      esc(t('median_min')) + '</th></tr>';
    sm.categories.forEach(function (k, c) {
      s += '<tr><td>' + swatch(D.categories[c].colour, true) + esc(catLabel(c)) + '</td><td class="num">' + num(k.facilities) +
        '</td><td class="num">' + pct(k.share_covered) + '</td><td class="num">' + pct(k.share_covered_population) +
        '</td><td class="num">' + (k.median_min === null ? '–' : num(k.median_min, 1) + ' ' + esc(t('min'))) + '</td></tr>';
    });
    s += '<tr><td><b>' + esc(t('complete')) + '</b></td><td></td><td class="num">' + pct(sm.complete.share) + '</td><td class="num">' +
      pct(sm.complete.share_population) + '</td><td></td></tr></table>';

    s += '<h2>' + esc(t('policy_checks')) + '</h2>';
    if (!D.districts.length) {
      s += '<p class="lc-note">' + esc(t('no_targets')) + '</p>';
    } else {
      var sources = {};
      D.rules.forEach(function (r) { sources[r.id] = r.source; });
      s += '<table><tr><th>' + esc(t('rule')) + '</th><th>' + esc(t('district')) + '</th><th class="num">' + esc(t('actual')) +
        '</th><th class="num">' + esc(t('target')) + '</th><th>' + esc(t('result')) + '</th></tr>';
      D.targets.forEach(function (r) {
        s += '<tr><td title="' + esc(sources[r.rule_id] || '') + '">' + esc(r.rule_id) + '</td><td>' + esc(districtName(r.district)) + '</td><td class="num">' +
          pct(r.actual) + '</td><td class="num">' + pct(r.target) + '</td><td class="' + (r.pass ? 'lc-pass">' + esc(t('pass')) : 'lc-fail">' + esc(t('fail'))) + '</td></tr>';
      });
      s += '</table>';
      s += '<h2>' + esc(t('districts')) + '</h2><table><tr><th>' + esc(t('district')) + '</th><th class="num">' + esc(t('homes_total')) +
        '</th><th class="num">' + esc(t('complete')) + '</th>';
      D.categories.forEach(function (k, c) { s += '<th class="num">' + esc(catLabel(c)) + '</th>'; });
      s += '</tr>';
      // Row i is district i (and its polygon districtLayers[i]); districts without a row are left out.
      var rows = D.districts.map(function (d, i) { return { d: d, i: i }; }).filter(function (x) { return x.d.row; });
      rows.forEach(function (x) {
        var r = x.d.row;
        s += '<tr data-district="' + x.i + '"><td>' + esc(districtName(x.d.key)) + '</td><td class="num">' + num(r.homes) + '</td><td class="num">' +
          pct(r.homes ? r.complete_share : null) + '</td>';
        r.categories.forEach(function (cs) { s += '<td class="num">' + pct(r.homes ? cs.share : null) + '</td>'; });
        s += '</tr>';
      });
      if (D.outside) {
        s += '<tr><td>' + esc(districtName(D.outside.key)) + '</td><td class="num">' + num(D.outside.homes) + '</td><td class="num">' + pct(D.outside.complete_share) + '</td>';
        D.outside.categories.forEach(function (cs) { s += '<td class="num">' + pct(cs.share) + '</td>'; });
        s += '</tr>';
      }
      s += '</table>';
    }
    if (sm.notes && sm.notes.length) {
      s += '<h2>' + esc(t('notes')) + '</h2><p class="lc-note">' + esc(t('notes_english')) + '</p><ul class="lc-note" lang="en">';
      sm.notes.forEach(function (n) { s += '<li>' + esc(n) + '</li>'; });
      s += '</ul>';
    }
    s += '<p class="lc-note">' + esc(t('made_with')) + ' ' + esc(sm.lifecircle_version) + ' · ' + esc(t('attribution')) + '</p>';
    panel.innerHTML = s;

    document.getElementById('lc-lang').addEventListener('click', function () { setLang(lang === 'en' ? 'zh' : 'en'); });
    document.getElementById('lc-colour-by').addEventListener('change', function (e) {
      colourBy = +e.target.value; restyleHomes(); buildLegend();
    });
    Array.prototype.forEach.call(panel.querySelectorAll('input[data-layer]'), function (box) {
      box.addEventListener('change', function () { setLayer(box.getAttribute('data-layer'), box.checked); });
    });
    Array.prototype.forEach.call(panel.querySelectorAll('tr[data-district]'), function (tr) {
      tr.style.cursor = 'pointer';
      tr.addEventListener('click', function () {
        var poly = districtLayers[+tr.getAttribute('data-district')];
        if (poly) map.fitBounds(poly.getBounds(), { padding: [20, 20] });
      });
    });
  }

  function applyStaticLabels() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-i18n]'), function (el) { el.textContent = t(el.getAttribute('data-i18n')); });
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = D.title + ' · ' + t('title');
  }
  function setLang(l) {
    lang = l;
    if (zoomControl) map.removeControl(zoomControl);
    zoomControl = L.control.zoom({ position: 'topleft', zoomInTitle: t('zoom_in'), zoomOutTitle: t('zoom_out') }).addTo(map);
    applyStaticLabels(); buildPanel(); buildLegend();
  }
  setLang(lang);
  restyleHomes();

  // ---------- what was drawn (for tests and curious users) ----------
  // Features actually painted in the current view: a path counts when Leaflet kept some of it
  // after clipping to the view, a circle or marker when its point is in the view.
  function inView(layerPoint) {
    var p = map.layerPointToContainerPoint(layerPoint), size = map.getSize();
    return p.x >= 0 && p.y >= 0 && p.x <= size.x && p.y <= size.y;
  }
  function painted(l) {
    if (l === homesLayer) return homesLayer.drawn;
    if (l.getLayers) return l.getLayers().reduce(function (n, x) { return n + painted(x); }, 0);
    if (l === layers.network) {
      if (D.network_image) { var img = l.getElement(); return img && img.complete && img.naturalWidth > 0 ? D.network_edges : 0; }
      return l._parts && l._parts.length ? networkLines.length : 0;
    }
    if (l._parts) return l._parts.length ? 1 : 0;
    if (l._icon) return l._icon.parentNode && inView(L.DomUtil.getPosition(l._icon)) ? 1 : 0;
    if (l._point) return inView(l._point) ? 1 : 0;
    return 0;
  }
  function drawn() {
    var out = {};
    Object.keys(layers).forEach(function (name) {
      if (name !== 'tiles') out[name] = map.hasLayer(layers[name]) ? painted(layers[name]) : 0;
    });
    return out;
  }
  // A layer point well inside polygon `l` (up to 8 px from its outline, on a whole screen pixel,
  // as pointer events are) and inside none of `others` whose box meets its box; null for shapes
  // under 4 px.
  function interiorPoint(l, others) {
    var b = l._pxBounds;
    if (!b || !l._containsPoint) return null;
    var r = Math.min(8, (b.max.x - b.min.x) / 4, (b.max.y - b.min.y) / 4);
    if (r < 1) return null;
    var near = others.filter(function (o) { return o !== l && o._pxBounds && o._containsPoint && o._pxBounds.intersects(b); });
    for (var i = 1; i < 12; i++) {
      for (var j = 1; j < 12; j++) {
        var raw = L.point(b.min.x + (b.max.x - b.min.x) * i / 12, b.min.y + (b.max.y - b.min.y) * j / 12);
        var p = map.containerPointToLayerPoint(map.layerPointToContainerPoint(raw).floor());
        var deep = [[0, 0], [r, 0], [-r, 0], [0, r], [0, -r]].every(function (d) { return l._containsPoint(p.add(d)); });
        if (deep && near.every(function (o) { return !o._containsPoint(p); })) return p;
      }
    }
    return null;
  }
  function extent(l) {
    var b = l._pxBounds;
    return b ? (b.max.x - b.min.x) * (b.max.y - b.min.y) : 0;
  }
  // Moves a synthetic pointer onto a layer as a user would (to whatever element is on top there)
  // and says whether its tooltip opened; null when no candidate had a point free of other shapes.
  function hoverOpens(candidates) {
    var rect = map.getContainer().getBoundingClientRect();
    // The largest shapes first (the easiest to point at), and a bounded number of tries.
    var order = candidates.slice().sort(function (a, b) { return extent(b) - extent(a); }).slice(0, 200);
    for (var i = 0; i < order.length; i++) {
      var l = order[i];
      var lp = l.getLatLng ? map.latLngToLayerPoint(l.getLatLng()).round() : interiorPoint(l, candidates);
      if (!lp) continue;
      var cp = map.layerPointToContainerPoint(lp), x = rect.left + cp.x, y = rect.top + cp.y;
      var el = document.elementFromPoint(x, y);
      // Only a point where the layer's own element is on top (not the legend, a control, another
      // marker, or for shapes a facility's marker above the canvas).
      var own = el && (l._path ? el === l._path : el === (l._renderer && l._renderer._container));
      if (!own) continue;
      ['mouseover', 'mousemove'].forEach(function (type) {
        el.dispatchEvent(new MouseEvent(type, { clientX: x, clientY: y, bubbles: true, cancelable: true, view: window }));
      });
      var open = l.isTooltipOpen();
      l.closeTooltip();
      el.dispatchEvent(new MouseEvent('mouseout', { clientX: x, clientY: y, bubbles: true, view: window }));
      return open;
    }
    return null;
  }
  function hovers() {
    var facilities = [];
    facilityGroups.forEach(function (g) { facilities = facilities.concat(g.getLayers()); });
    return {
      district: H.mode === 'hex' ? null : hoverOpens(districtLayers),
      hexagon: hoverOpens(hexLayers),
      facility: hoverOpens(facilities)
    };
  }
  window.lifecircleReport = { drawn: drawn, hovers: hovers, setLang: setLang, errors: errors, map: map };

  function selftest() {
    var result = { errors: errors, drawn: drawn(), hover: hovers(), lang_before: lang, legend_before: document.getElementById('lc-legend').textContent };
    document.getElementById('lc-lang').click();
    result.lang_after = lang;
    result.legend_after = document.getElementById('lc-legend').textContent;
    result.panel_after = document.getElementById('lc-panel').textContent.slice(0, 300);
    result.attribution = document.getElementById('lc-attribution-fixed').textContent;
    // The embedded CJK subset is a font face the browser knows (report.css falls back to it).
    result.font_faces = [];
    if (document.fonts) document.fonts.forEach(function (f) { result.font_faces.push(f.family.replace(/"/g, '')); });
    document.getElementById('lc-lang').click();
    result.legend_back = document.getElementById('lc-legend').textContent;
    var pre = document.createElement('pre');
    pre.id = 'lc-selftest';
    pre.textContent = JSON.stringify(result);
    document.body.appendChild(pre);
  }
  // After the load event: pictures (the network's, when it is one) are decoded by then.
  if (/selftest/.test(hash)) {
    if (document.readyState === 'complete') selftest(); else window.addEventListener('load', selftest);
  }
})();
