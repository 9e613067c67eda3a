// Loaded into s3rver (node --require): s3rver 3.7 opens each part file of a
// CompleteMultipartUpload without an error handler, so a completion that
// names a part already removed (two completions of one upload racing, as a
// client killed mid-completion and restarted makes) throws out of the event
// loop and takes the whole server down. S3 itself answers such a request
// and stays up; so does the lab's S3: the error is logged, the request it
// belonged to fails, and every other request goes on.
'use strict';
process.on('uncaughtException', (err) => {
  console.error(`s3rver-guard: kept running after an uncaught ${err && err.code ? err.code : 'error'}:`, err);
});
