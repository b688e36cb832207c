package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
)

func httptestDo(h http.Handler, method, path string, body io.Reader) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, body))
	return rec
}

func itoa(i int) string { return strconv.Itoa(i) }
