// A `ReadableStream` of the `Blob`s a `MediaRecorder` records, for `addStream`: each
// `dataavailable` chunk as it comes; it ends when the recorder stops, and fails when it fails.
// eslint-disable-next-line no-unused-vars
function recorderStream(recorder) {
  "use strict";
  return new ReadableStream({
    start: function (controller) {
      recorder.addEventListener("dataavailable", function (event) {
        if (event.data.size) controller.enqueue(event.data);
      });
      recorder.addEventListener("stop", function () {
        controller.close();
      }, { once: true });
      recorder.addEventListener("error", function (event) {
        controller.error(event.error || new Error("the MediaRecorder failed"));
      }, { once: true });
    },
  });
}
