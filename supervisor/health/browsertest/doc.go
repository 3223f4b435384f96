// Package browsertest tests the live tree page of package health in a real
// headless Chromium, driven by chromedp. It is a module of its own so that
// chromedp is not a dependency of the library.
//
// The tests need a Chromium or Chrome binary: the one named by
// $ARBOR_CHROMIUM, or chromium, chromium-browser, google-chrome or
// google-chrome-stable on $PATH (Debian: apt-get install chromium). Without
// one they skip, saying why, unless ARBOR_REQUIRE_BROWSER=1, under which
// they fail.
//
// go test -run TestScreenshot -screenshot FILE writes a screenshot of the
// page showing a small sample tree to FILE (a PNG).
package browsertest
