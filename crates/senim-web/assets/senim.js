// Senim's own script: small conveniences on top of pages that work without it.
// Buttons marked data-print open the browser's print dialogue.
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-print]");
  if (target) {
    event.preventDefault();
    window.print();
  }
});
// Hide the controls that only matter without JavaScript (a facet form's
// "apply" button when htmx applies each change at once).
document.documentElement.classList.add("js");

// A log entry's page: recompute the entry's hash and its inclusion proof
// (RFC 9162, section 2.1.3.2) with the browser's own SHA-256, against the
// checkpoint the page shows. The checkpoint's signature is not checked here:
// `senim verify` checks it with the published key, and that the log only grew.
(function () {
  var box = document.getElementById("browser-check");
  var out = document.getElementById("browser-check-result");
  var text = document.getElementById("entry-text");
  if (!box || !out || !text) return;
  if (!window.crypto || !window.crypto.subtle) {
    out.textContent = box.dataset.unsupported;
    return;
  }
  function b64(s) {
    var bin = atob(s), a = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) a[i] = bin.charCodeAt(i);
    return a;
  }
  function join(prefix, parts) {
    var n = 1;
    parts.forEach(function (p) { n += p.length; });
    var a = new Uint8Array(n), o = 1;
    a[0] = prefix;
    parts.forEach(function (p) { a.set(p, o); o += p.length; });
    return a;
  }
  function sha(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
  }
  function same(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  var entry = new TextEncoder().encode(text.content ? text.content.textContent : text.textContent);
  var index = Number(box.dataset.index), size = Number(box.dataset.size);
  var proof = (box.dataset.proof || "").split(" ").filter(Boolean).map(b64);
  var root = b64(box.dataset.root);
  sha(join(0, [entry])).then(function (leaf) {
    if (!same(leaf, b64(box.dataset.leaf)) || index >= size) return false;
    var fn = index, sn = size - 1, r = Promise.resolve(leaf);
    proof.forEach(function (p) {
      r = r.then(function (h) {
        if (h === null || sn === 0) return null;
        var next;
        if (fn % 2 === 1 || fn === sn) {
          next = sha(join(1, [p, h]));
          if (fn % 2 === 0) {
            while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
          }
        } else {
          next = sha(join(1, [h, p]));
        }
        fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
        return next;
      });
    });
    return r.then(function (h) { return h !== null && sn === 0 && same(h, root); });
  }).then(function (ok) {
    out.textContent = ok ? box.dataset.ok : box.dataset.bad;
  }, function () {
    out.textContent = box.dataset.unsupported;
  });
})();
