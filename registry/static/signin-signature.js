// Sign-in by signature: asks the CryptoPro ЭЦП Browser plug-in (cadesplugin API) for the
// person's certificates, signs the page's one-time challenge as a detached CAdES-BES signature
// and posts it. The server decides from the signature alone.
(function () {
  "use strict";
  var root = document.getElementById("signature-signin");
  if (!root) { return; }
  var missing = document.getElementById("plugin-missing");
  var ready = document.getElementById("plugin-ready");
  var choice = document.getElementById("certificate-choice");
  var status = document.getElementById("signature-status");
  var form = document.getElementById("signature-form");
  var certificates = [];

  function showMissing() { missing.hidden = false; ready.hidden = true; }

  function utf8Base64(text) {
    var bytes = new TextEncoder().encode(text);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary);
  }

  async function listCertificates(plugin) {
    var store = await plugin.CreateObjectAsync("CAdESCOM.Store");
    await store.Open(plugin.CAPICOM_CURRENT_USER_STORE, plugin.CAPICOM_MY_STORE,
                     plugin.CAPICOM_STORE_OPEN_MAXIMUM_ALLOWED);
    var all = await store.Certificates;
    var count = await all.Count;
    var now = new Date();
    for (var i = 1; i <= count; i++) {
      var cert = await all.Item(i);
      var validTo = new Date(await cert.ValidToDate);
      if (validTo < now || !(await cert.HasPrivateKey())) { continue; }
      certificates.push(cert);
      var option = document.createElement("option");
      option.value = String(certificates.length - 1);
      option.textContent = (await cert.SubjectName) + " (до " + validTo.toLocaleDateString("ru-RU") + ")";
      choice.appendChild(option);
    }
    await store.Close();
  }

  async function sign(plugin) {
    var cert = certificates[Number(choice.value)];
    if (!cert) { status.textContent = "Выберите сертификат."; return; }
    status.textContent = "Подписание… Если появится запрос PIN-кода носителя, введите его.";
    var signer = await plugin.CreateObjectAsync("CAdESCOM.CPSigner");
    await signer.propset_Certificate(cert);
    await signer.propset_Options(plugin.CAPICOM_CERTIFICATE_INCLUDE_WHOLE_CHAIN);
    var data = await plugin.CreateObjectAsync("CAdESCOM.CadesSignedData");
    await data.propset_ContentEncoding(plugin.CADESCOM_BASE64_TO_BINARY);
    await data.propset_Content(utf8Base64(root.dataset.challenge));
    var signature = await data.SignCades(signer, plugin.CADESCOM_CADES_BES, true);
    form.elements.signature.value = signature;
    form.elements.certificate.value = await cert.Export(plugin.CADESCOM_ENCODE_BASE64);
    form.submit();
  }

  var plugin = window.cadesplugin;
  if (!root.dataset.plugin || !plugin || typeof plugin.then !== "function") {
    showMissing();
    return;
  }
  plugin.then(function () {
    return listCertificates(plugin).then(function () {
      missing.hidden = true;
      ready.hidden = false;
      if (!certificates.length) {
        status.textContent = "В хранилище «Личное» нет действующих сертификатов с закрытым ключом.";
      }
      document.getElementById("sign-button").addEventListener("click", function () {
        sign(plugin).catch(function (error) {
          status.textContent = "Подписать не удалось: " + (error && error.message ? error.message : error);
        });
      });
    });
  }, showMissing).catch(showMissing);
})();
