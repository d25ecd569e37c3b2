package console

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUploadTooLarge: an incident file over the limit is refused with a message, never started
// from its first megabyte.
func TestUploadTooLarge(t *testing.T) {
	s := startTestStack(t, nil)
	coord := s.browser(t)
	coord.login("coordinator")
	coord.get("/new")

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("csrf", coord.csrf))
	fw, err := mw.CreateFormFile("upload", "incident.yaml")
	require.NoError(t, err)
	// A valid start (title, playbook) followed by padding past the limit.
	_, err = io.WriteString(fw, "title: Big\nplaybook: us-federal-breach\n"+strings.Repeat("# padding\n", maxUpload/10+100))
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, coord.base+"/new", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := coord.c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "an oversized upload is refused")
	require.True(t, strings.Contains(string(page), "larger than 1024 KiB"), "the page says the file is too large")
	_, list := coord.get("/?filter=all")
	require.NotContains(t, list, "Big", "nothing was started")
}
