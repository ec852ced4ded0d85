// Test-only probe loaded into a copy of a results page by tests/pages/test_browser.py: it
// measures, in the browser's own layout, what html.parser cannot see, and writes the findings
// as JSON into <body data-probe>, which the test reads back from chromium --dump-dom.
(function () {
  function rgb(text) {
    var m = text.match(/rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)/);
    return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null;
  }
  function lum(c) {
    var v = c.slice(0, 3).map(function (x) {
      x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  function ratio(a, b) {
    var x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  function background(el) {
    for (; el && el.nodeType === 1; el = el.parentElement) {
      var c = rgb(getComputedStyle(el).backgroundColor);
      if (c && c[3] > 0) return c;
    }
    return [255, 255, 255, 1];
  }
  var phone = document.documentElement.getBoundingClientRect().width;
  var out = {phone: phone, contrast: [], overflow: [], outside: [], marks: []};
  var all = document.querySelectorAll('body *');
  for (var i = 0; i < all.length; i++) {
    var el = all[i];
    var own = Array.prototype.some.call(el.childNodes, function (n) {
      return n.nodeType === 3 && n.textContent.trim();
    });
    if (!own || el.closest('svg')) continue;
    var r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || el.closest('.skip')) continue;
    if (r.right > phone + 0.5 && !el.closest('.table-wrap')) {
      out.outside.push(el.tagName + ' ' + el.textContent.trim().slice(0, 30));
    }
    var k = ratio(rgb(getComputedStyle(el).color), background(el));
    if (k < 4.5) out.contrast.push(el.tagName + ' ' + el.textContent.trim().slice(0, 30) + ' ' + k.toFixed(2));
  }
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    var width = svg.viewBox.baseVal.width;
    svg.querySelectorAll('text').forEach(function (t) {
      var b = t.getBBox();
      if (b.x + b.width > width + 0.5) out.overflow.push(t.textContent);
      var k = ratio(rgb(getComputedStyle(t).fill), [255, 255, 255, 1]);
      if (k < 4.5) out.contrast.push('svg text ' + t.textContent + ' ' + k.toFixed(2));
    });
    svg.querySelectorAll('rect.bar').forEach(function (bar) {
      var k = ratio(rgb(getComputedStyle(bar).fill), [255, 255, 255, 1]);
      if (k < 3) out.contrast.push('bar ' + k.toFixed(2));
    });
    var marks = [];
    svg.querySelectorAll('g.mark').forEach(function (g) {
      marks.push([g.getAttribute('data-value'), g.querySelector('text.value').textContent]);
    });
    out.marks.push(marks);
  });
  document.body.setAttribute('data-probe', JSON.stringify(out));
})();
