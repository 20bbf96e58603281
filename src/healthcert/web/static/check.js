// Enhancements of the check page; without them the form works as a plain post.
(function () {
  "use strict";
  var form = document.getElementById("check");
  var key = document.getElementById("key");
  var country = document.getElementById("country");
  var note = document.getElementById("camera-note");
  // The verifier key and the destination live in this tab's session only: typed once per shift.
  if (!key.value && sessionStorage.getItem("healthcert.key")) key.value = sessionStorage.getItem("healthcert.key");
  if (!country.value && sessionStorage.getItem("healthcert.country")) country.value = sessionStorage.getItem("healthcert.country");
  var remember = function () {
    sessionStorage.setItem("healthcert.key", key.value);
    sessionStorage.setItem("healthcert.country", country.value);
  };
  form.addEventListener("submit", remember);

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    note.hidden = false;
    return;
  }
  // The zxing-wasm reader ships with the service; fetched only by a browser without
  // BarcodeDetector, and only once its camera is asked for (about 1 MB).
  var VENDOR = "/static/vendor/zxing-wasm/";

  var loadScript = function (src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  };

  // Either reader answers detect(video) with the QR text, or null when the frame has none.
  var nativeReader = function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return Promise.resolve({
      name: "native",
      detect: function (video) {
        return detector.detect(video).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        });
      }
    });
  };

  var wasmReader = function () {
    return loadScript(VENDOR + "zxing_reader.js").then(function () {
      var zxing = window.ZXingWASM;
      zxing.prepareZXingModule({
        overrides: {
          locateFile: function (path, prefix) {
            return path.endsWith(".wasm") ? VENDOR + path : prefix + path;
          }
        },
        fireImmediately: true
      });
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return {
        name: "zxing-wasm",
        detect: function (video) {
          if (!video.videoWidth) return Promise.resolve(null);
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          context.drawImage(video, 0, 0);
          var frame = context.getImageData(0, 0, canvas.width, canvas.height);
          return zxing.readBarcodes(frame, { formats: ["QRCode"], maxNumberOfSymbols: 1 }).then(function (found) {
            return found.length && found[0].isValid ? found[0].text : null;
          });
        }
      };
    });
  };

  var camera = document.getElementById("camera");
  document.getElementById("camera-row").hidden = false;
  camera.addEventListener("click", function () {
    var video = document.getElementById("video");
    var reading = "BarcodeDetector" in window ? nativeReader() : wasmReader();
    camera.disabled = true;
    Promise.all([reading, navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })]).then(function (ready) {
      var reader = ready[0];
      var stream = ready[1];
      form.dataset.reader = reader.name;
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var found = function (text) {
        stream.getTracks().forEach(function (track) { track.stop(); });
        document.getElementById("payload").value = text;
        remember();
        form.submit();
      };
      // A tenth of a second between frames keeps a phone cool while it looks.
      var look = function () {
        reader.detect(video).then(function (text) {
          if (text) found(text); else setTimeout(look, 100);
        }, function () { setTimeout(look, 100); });
      };
      look();
    }, function () {
      camera.disabled = false;
      note.hidden = false;
    });
  });
})();
