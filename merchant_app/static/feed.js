// Live payments for the vendor page: Server-Sent Events from the server, each shown at the top
// of the list and, when the vendor has turned it on, read aloud in Vietnamese (vi-VN). The text
// to show and to speak comes from the server; this file only displays it.
(function () {
  "use strict";
  var list = document.getElementById("feed");
  if (!list || !window.EventSource) { return; }
  var status = document.getElementById("feed-status");
  var toggle = document.getElementById("feed-sound");
  var MAX_ITEMS = 50;
  var speak = window.localStorage && localStorage.getItem("marketpay-speak") === "1";

  function showToggle() {
    if (!toggle) { return; }
    toggle.setAttribute("aria-pressed", speak ? "true" : "false");
    // Plain symbols: phones at markets and headless test browsers often lack an emoji font.
    toggle.textContent = (speak ? "✔ " : "") + toggle.dataset.label;
  }
  if (toggle) {
    toggle.addEventListener("click", function () {
      speak = !speak;
      if (window.localStorage) { localStorage.setItem("marketpay-speak", speak ? "1" : "0"); }
      showToggle();
    });
    showToggle();
  }

  function say(text) {
    if (!speak || !window.speechSynthesis || !window.SpeechSynthesisUtterance) { return; }
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = "vi-VN";
    var voices = speechSynthesis.getVoices().filter(function (v) { return v.lang === "vi-VN"; });
    if (voices.length) { utterance.voice = voices[0]; }
    speechSynthesis.speak(utterance);
  }

  var source = new EventSource(list.dataset.stream);
  source.addEventListener("payment", function (event) {
    var payment = JSON.parse(event.data);
    var item = document.createElement("li");
    item.textContent = payment.announcement;
    item.dataset.spoken = payment.spoken;
    item.dataset.eventId = event.lastEventId;
    list.insertBefore(item, list.firstChild);
    while (list.children.length > MAX_ITEMS) { list.removeChild(list.lastChild); }
    if (status) { status.textContent = payment.announcement; }
    say(payment.spoken);
  });
  source.addEventListener("open", function () { list.dataset.connected = "1"; });
})();
