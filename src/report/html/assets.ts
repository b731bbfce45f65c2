/**
 * The report page's only style and script, inline; the page's Content-Security-Policy names them by
 * hash, so nothing else can run or style it (dataset text included).
 */
export const REPORT_STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em 2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
td.settings{font-size:12px;max-width:32em;overflow-wrap:anywhere}
figure.chart{margin:1em 0}figcaption{font-weight:600;margin-bottom:.3em}
svg text{font:12px system-ui,sans-serif}svg .label{text-anchor:end}svg .tick{text-anchor:middle;fill:#888;font-size:10px}
svg .grid{stroke:#eee}svg .whisker{stroke:#222;stroke-width:1.2}
svg .bar-a{fill:#a9b4c2}svg .bar-b{fill:#3b7dd8}
svg .verdict-better{fill:#1a7f37;font-weight:600}svg .verdict-worse{fill:#c62828;font-weight:600}svg .verdict-changed{fill:#b26a00;font-weight:600}
.legend,.note{color:#555}
#filters{display:flex;gap:1.2em;align-items:center;flex-wrap:wrap;margin:.6em 0}
#cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:10px}
.card{display:flex;gap:8px;border:1px solid #ddd;border-radius:6px;padding:6px}.card[hidden]{display:none}
.thumb{width:112px;height:112px;object-fit:contain;background:#f4f4f4;flex:none}.thumb.none{display:flex;align-items:center;justify-content:center;color:#999;font-size:11px}
.body p{margin:.1em 0}.q{font-weight:600}.gold,.meta{color:#555;font-size:12px}
.card ul{list-style:none;margin:.2em 0;padding:0}.answer.right{color:#1a7f37}.answer.wrong{color:#c62828}.who,.raw{color:#555;font-size:12px}
`;

export const REPORT_SCRIPT = `
(function () {
  var kind = document.getElementById('f-kind');
  var cat = document.getElementById('f-cat');
  var text = document.getElementById('f-text');
  var shown = document.getElementById('shown');
  var cards = document.querySelectorAll('#cards .card');
  function apply() {
    var k = kind.value, c = cat.value, t = text.value.trim().toLowerCase(), n = 0;
    for (var i = 0; i < cards.length; i++) {
      var d = cards[i].dataset;
      var ok = (!k || d.kinds.split(' ').indexOf(k) >= 0) && (!c || d.cats.split('|').indexOf(c) >= 0) && (!t || d.text.indexOf(t) >= 0);
      cards[i].hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = String(n);
  }
  kind.addEventListener('change', apply);
  cat.addEventListener('change', apply);
  text.addEventListener('input', apply);
  document.getElementById('filters').addEventListener('submit', function (e) { e.preventDefault(); });
})();
`;
