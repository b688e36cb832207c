package flowstore_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/flowstore/flowstore"
)

// Dashboard is an http.Handler to mount in the host's own server, behind
// the host's authorisation.
func ExampleDB_Dashboard() {
	ctx := context.Background()
	db, err := flowstore.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()

	dash, err := db.Dashboard(flowstore.DashboardOptions{
		Authorize: func(r *http.Request) bool { return r.Header.Get("X-Admin") == "yes" },
		Prefix:    "/flowstore",
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/flowstore/", http.StripPrefix("/flowstore", dash))

	for _, admin := range []string{"", "yes"} {
		req := httptest.NewRequest("GET", "/flowstore/queues", nil)
		req.Header.Set("X-Admin", admin)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Header().Get("X-Content-Type-Options"))
	}

	// Without Authorize, only a read-only dashboard builds.
	_, err = db.Dashboard(flowstore.DashboardOptions{})
	fmt.Println(err != nil)
	// Output:
	// 401 nosniff
	// 200 nosniff
	// true
}
