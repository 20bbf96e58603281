// Enhancements of the check page; without them the form works as a plain post.
(function () {
  "use strict";
  var form = document.getElementById("check");
  var key = document.getElementById("key");
  var country = document.getElementById("country");
  // The verifier key and the destination live in this tab's session only: typed once per shift.
  if (!key.value && sessionStorage.getItem("healthcert.key")) key.value = sessionStorage.getItem("healthcert.key");
  if (!country.value && sessionStorage.getItem("healthcert.country")) country.value = sessionStorage.getItem("healthcert.country");
  var remember = function () {
    sessionStorage.setItem("healthcert.key", key.value);
    sessionStorage.setItem("healthcert.country", country.value);
  };
  form.addEventListener("submit", remember);

  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) {
    document.getElementById("camera-note").hidden = false;
    return;
  }
  document.getElementById("camera-row").hidden = false;
  document.getElementById("camera").addEventListener("click", function () {
    var video = document.getElementById("video");
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var look = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (track) { track.stop(); });
            document.getElementById("payload").value = codes[0].rawValue;
            remember();
            form.submit();
          } else {
            requestAnimationFrame(look);
          }
        }, function () { requestAnimationFrame(look); });
      };
      look();
    }, function () { document.getElementById("camera-note").hidden = false; });
  });
})();
