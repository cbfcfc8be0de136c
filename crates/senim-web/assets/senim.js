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

// The report form's proof of work (issue 19): before the form is sent, find
// a nonce such that SHA-256("<challenge>:<nonce>") starts with the number of
// zero bits the challenge asks (its second field). A second or two of this
// computer's time; nothing about the reader is sent or kept. SHA-256 is
// computed here (FIPS 180-4) so the form works on plain-HTTP deployments,
// where the browser offers no crypto.subtle.
(function () {
  var form = document.querySelector("form[data-proof]");
  if (!form) return;
  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  var W = new Int32Array(64);
  // The first 32-bit word of SHA-256 of `bytes` (an array of byte values):
  // enough to count up to 32 leading zero bits.
  function firstWord(bytes) {
    var n = bytes.length, total = ((n + 9 + 63) >> 6) << 6;
    var m = new Uint8Array(total);
    m.set(bytes);
    m[n] = 0x80;
    var bits = n * 8;
    m[total - 4] = (bits >>> 24) & 255; m[total - 3] = (bits >>> 16) & 255;
    m[total - 2] = (bits >>> 8) & 255; m[total - 1] = bits & 255;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a,
        h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var off = 0; off < total; off += 64) {
      for (var i = 0; i < 16; i++) {
        var j = off + i * 4;
        W[i] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3];
      }
      for (i = 16; i < 64; i++) {
        var x = W[i - 15], y = W[i - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (i = 0; i < 64; i++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    return h0 >>> 0;
  }
  function ascii(text) {
    var out = [];
    for (var i = 0; i < text.length; i++) out.push(text.charCodeAt(i) & 255);
    return out;
  }
  var challenge = form.dataset.proof;
  var want = parseInt(challenge.split(".")[1], 10) || 0;
  var nonceField = form.querySelector("input[name=proof_nonce]");
  var status = document.getElementById("proof-status");
  var solving = false;
  form.addEventListener("submit", function (event) {
    if (nonceField.value || want === 0) return;
    event.preventDefault();
    if (solving) return;
    solving = true;
    if (status) status.textContent = form.dataset.proofWorking;
    var prefix = ascii(challenge + ":");
    var nonce = 0;
    // In slices, so the page stays responsive and the status is shown.
    function slice() {
      var limit = want >= 32 ? 0 : 0xffffffff >>> want;
      for (var k = 0; k < 20000; k++, nonce++) {
        var word = firstWord(prefix.concat(ascii(String(nonce))));
        if (want <= 32 && (want === 32 ? word === 0 : word <= limit)) {
          nonceField.value = String(nonce);
          if (status) status.textContent = "";
          form.submit();
          return;
        }
      }
      setTimeout(slice, 0);
    }
    setTimeout(slice, 0);
  });
})();

// Tables on a phone: the stylesheet stacks each row's cells under one
// another below 641 px; each cell is labelled with its column's heading
// (data-label, shown before it), and the table keeps its roles for screen
// readers, which a change of display may otherwise drop.
function labelTables(root) {
  root.querySelectorAll("table").forEach(function (table) {
    var heads = [];
    var headRow = table.querySelector("thead tr");
    if (headRow) {
      Array.prototype.forEach.call(headRow.children, function (th) {
        heads.push(th.textContent.trim());
      });
    }
    table.setAttribute("role", "table");
    table.querySelectorAll("tr").forEach(function (tr) {
      tr.setAttribute("role", "row");
      Array.prototype.forEach.call(tr.children, function (cell, i) {
        if (cell.tagName === "TH") {
          cell.setAttribute("role", cell.closest("thead") ? "columnheader" : "rowheader");
        } else {
          cell.setAttribute("role", "cell");
        }
        if (heads[i] && !cell.closest("thead") && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", heads[i]);
        }
      });
    });
  });
}
labelTables(document);
document.addEventListener("htmx:afterSettle", function (event) {
  labelTables(event.target);
});

// A live region (role="status") that htmx would replace with the same text
// is left alone: replacing it makes screen readers announce it again, on
// every pause in the typing (the wizard's "still missing" list).
document.addEventListener("htmx:beforeSwap", function (event) {
  var target = event.detail.target;
  if (!target || !target.id || target.getAttribute("role") !== "status") return;
  var response = event.detail.serverResponse || "";
  var next = new DOMParser().parseFromString(response, "text/html").getElementById(target.id);
  if (next && next.textContent.trim() === target.textContent.trim()) {
    event.detail.shouldSwap = false;
  }
});

// Signing with an electronic digital signature (issue 21). A form marked
// data-eds="sign-in" (or "sign") has its text signed by the person's key
// and the CMS signature (base64) sent in its "signature" field. The key is
// reached through NCALayer, the National Certification Authority's program
// on the person's computer (a websocket on wss://127.0.0.1:13579, its
// "kz.gov.pki.knca.basics" module), unless the page has a signer of its own
// in window.senimSigner: an object whose sign(base64Text, purpose) returns
// a promise of the base64 signature (the browser tests give one). Without
// JavaScript, or without NCALayer, the form takes a signature pasted in.
(function () {
  var form = document.querySelector("form[data-eds]");
  if (!form) return;
  var purpose = form.getAttribute("data-eds");
  var button = form.querySelector("[data-eds-sign]");
  var status = form.querySelector("[data-eds-status]");
  form.querySelectorAll("[data-eds-only]").forEach(function (el) {
    el.hidden = false;
  });

  function toBase64(text) {
    var bytes = new TextEncoder().encode(text);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }

  var ncaLayer = {
    sign: function (data, purpose) {
      return new Promise(function (resolve, reject) {
        var socket, settled = false;
        function fail(message) {
          if (settled) return;
          settled = true;
          reject(new Error(message));
        }
        try {
          socket = new WebSocket("wss://127.0.0.1:13579/");
        } catch (e) {
          fail("NCALayer does not answer");
          return;
        }
        socket.onerror = function () { fail("NCALayer does not answer"); };
        socket.onclose = function () { fail("NCALayer closed the connection"); };
        socket.onopen = function () {
          socket.send(JSON.stringify({
            module: "kz.gov.pki.knca.basics",
            method: "sign",
            args: {
              allowedStorages: ["PKCS12", "AKKaztokenStore", "AKKZIDCardStore", "AKEToken72KStore", "AKJaCartaStore"],
              format: "cms",
              data: data,
              signingParams: { decode: true, encapsulate: true, digested: false },
              // Signing in takes an authentication key; signing a document,
              // a signing key.
              signerParams: {
                extKeyUsageOids: [purpose === "sign-in" ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.4"],
                chain: []
              },
              locale: document.documentElement.lang || "kk"
            }
          }));
        };
        socket.onmessage = function (event) {
          var answer;
          try { answer = JSON.parse(event.data); } catch (e) { return; }
          // Its first message names its version.
          if (answer.result && answer.result.version) return;
          settled = true;
          socket.close();
          if (answer.status === true && answer.body && answer.body.result) {
            resolve([].concat(answer.body.result)[0]);
          } else {
            reject(new Error(answer.message || "NCALayer did not sign"));
          }
        };
      });
    }
  };

  button.addEventListener("click", function () {
    var signer = window.senimSigner || ncaLayer;
    var text = form.querySelector("input[name=nonce], input[name=text]").value;
    status.textContent = status.getAttribute("data-waiting");
    button.disabled = true;
    signer.sign(toBase64(text), purpose).then(function (signature) {
      form.querySelector("[name=signature]").value = signature;
      form.submit();
    }, function () {
      status.textContent = status.getAttribute("data-missing");
      button.disabled = false;
      var details = form.querySelector("details");
      if (details) details.open = true;
    });
  });
})();
