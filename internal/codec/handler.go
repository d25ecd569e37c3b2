package codec

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"go.temporal.io/sdk/converter"
)

// MaxRequestBytes bounds the body of a codec-server request.
const MaxRequestBytes = 16 << 20

// Handler serves the Temporal codec-server protocol (POST /encode, POST /decode, with a JSON body
// {"payloads": [...]} in protojson) for the Temporal UI (codec endpoint setting) and CLI
// (--codec-endpoint), using converter.NewPayloadCodecHTTPHandler with NewCodec(k). Paths are
// matched by suffix, so the handler can be mounted under a prefix.
//
// When token != "", every request except a CORS preflight must carry
// "Authorization: Bearer <token>" (compared in constant time) or is answered 401. With token ==
// "", anyone who can reach the handler can decrypt payloads: bind it to localhost.
//
// When allowedOrigin != "" (e.g. http://localhost:8080, the UI's origin), requests whose Origin
// header equals it get CORS headers allowing credentials and the Authorization, Content-Type and
// X-Namespace headers the UI sends, and OPTIONS preflights from it are answered 204. Preflights
// from any other origin get 403 and no CORS headers.
//
// It panics if k is nil.
func Handler(k *Keyring, token, allowedOrigin string) http.Handler {
	codecHandler := converter.NewPayloadCodecHTTPHandler(NewCodec(k))
	allowedOrigin = strings.TrimSuffix(allowedOrigin, "/")
	var tokenSum [sha256.Size]byte
	if token != "" {
		tokenSum = sha256.Sum256([]byte(token))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		originOK := allowedOrigin != "" && r.Header.Get("Origin") == allowedOrigin
		if allowedOrigin != "" {
			w.Header().Add("Vary", "Origin")
		}
		if originOK {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", allowedOrigin)
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if r.Method == http.MethodOptions {
			if !originOK {
				http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if token != "" && !bearerOK(r.Header.Get("Authorization"), tokenSum) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="breachflow-codec"`)
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBytes)
		}
		codecHandler.ServeHTTP(w, r)
	})
}

// bearerOK reports whether an Authorization header carries the token whose SHA-256 is want.
// Comparing digests keeps the comparison constant-time regardless of the presented length.
func bearerOK(header string, want [sha256.Size]byte) bool {
	scheme, got, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
	return subtle.ConstantTimeCompare(sum[:], want[:]) == 1
}
