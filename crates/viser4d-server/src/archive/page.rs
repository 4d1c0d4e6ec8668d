//! An archive's `index.html` and runtime loader: viser's page, told to play
//! the archive's scene file, whose first message loads the runtime from
//! the archive, by relative URLs so the archive plays under any path
//! prefix of any host.
//!
//! The runtime arrives in the scene file (as a `RunJavascriptMessage`, as
//! in an export) rather than from the page, because viser hides every node
//! when it starts playing a recording: a runtime that showed a step before
//! that would have it hidden. Loaded by the file, it starts after.

/// Puts the client in playback mode on `scene` (`?playbackPath=`, unless
/// the URL names another file), says where the manifest is, and starts on
/// the files the first step needs while viser and the runtime load (the
/// runtime takes these promises by URL, or fetches again).
const BOOT: &str = r#"<script>
(function () {
  var q = new URLSearchParams(location.search);
  if (!q.has("playbackPath")) {
    q.set("playbackPath", "SCENE");
    history.replaceState(null, "", location.pathname + "?" + q.toString() + location.hash);
  }
  var manifest = new URL("MANIFEST", location.href).href;
  window.__VISER4D_ARCHIVE__ = manifest;
  var prefetch = (window.__viser4dPrefetch = {});
  var get = function (url) {
    return (prefetch[url] = fetch(url).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.arrayBuffer();
    }));
  };
  get(manifest)
    .then(function (buffer) {
      var m = JSON.parse(new TextDecoder().decode(buffer));
      get(new URL(m.timeline, manifest).href);
      if (m.blocks && m.blocks[0]) get(new URL(m.blocks[0].file, manifest).href);
    })
    .catch(function () {});
})();
</script>
"#;

/// The scene file's first message: loads the runtime once per page.
const LOADER: &str = r#"(function () {
  if (window.__viser4dRuntime) return;
  import(new URL("./SCRIPT", location.href).href)
    .then(function (runtime) {
      return runtime.default({ module_or_path: new URL("./WASM", location.href).href });
    })
    .catch(function (error) { console.error("viser4d runtime not loaded:", error); });
})();"#;

pub(super) fn index_html(client_page: &str, scene: &str) -> String {
    let boot = BOOT
        .replace("SCENE", scene)
        .replace("MANIFEST", viser4d_proto::archive::MANIFEST_FILE);
    crate::bundle::inject_before_head_end(client_page, &boot)
}

pub(super) fn runtime_loader(script: &str, wasm: &str) -> String {
    LOADER.replace("SCRIPT", script).replace("WASM", wasm)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_and_the_loader_name_their_files_relative_to_the_page() {
        let page = super::index_html("<html><head></head></html>", "scene-1.viser");
        assert!(page.contains(r#"q.set("playbackPath", "scene-1.viser")"#));
        assert!(page.contains(r#"new URL("archive.json", location.href)"#));
        assert!(page.ends_with("</script>\n</head></html>"));
        let loader = super::runtime_loader("viser4d/runtime-2.js", "viser4d/runtime-3.wasm");
        assert!(loader.contains(r#"new URL("./viser4d/runtime-2.js", location.href)"#));
        assert!(loader.contains(r#"new URL("./viser4d/runtime-3.wasm", location.href)"#));
        // What an opened archive leaves out of its live scene.
        assert!(loader.contains("__viser4dRuntime"));
    }
}
