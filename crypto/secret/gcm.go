package secret

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
)

// GCM token layout: gcmPrefix ‖ key id (8 hex) ‖ '.' ‖ base64url-nopad(nonce ‖ sealed).
const (
	gcmPrefix   = "gcm1."
	gcmIDLen    = 8
	gcmHeadLen  = len(gcmPrefix) + gcmIDLen + 1
	gcmNonceLen = 12
	gcmTagLen   = 16
)

func isGCMToken(token string) bool { return strings.HasPrefix(token, gcmPrefix) }

// gcmTokenID returns the key id a GCM token names.
func gcmTokenID(token string) (string, bool) {
	if len(token) < gcmHeadLen || !isGCMToken(token) || token[gcmHeadLen-1] != '.' {
		return "", false
	}
	id := token[len(gcmPrefix) : gcmHeadLen-1]
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	return id, true
}

func gcmTokenLen(n int) int {
	return gcmHeadLen + base64.RawURLEncoding.EncodedLen(gcmNonceLen+n+gcmTagLen)
}

func (k *Key) gcmEncrypt(plaintext []byte) (string, error) {
	head := gcmPrefix + k.id + "."
	buf := make([]byte, gcmNonceLen, gcmNonceLen+len(plaintext)+gcmTagLen)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	buf = k.aead.Seal(buf, buf[:gcmNonceLen], plaintext, []byte(head))
	return head + base64.RawURLEncoding.EncodeToString(buf), nil
}

func (k *Key) gcmDecrypt(token string) ([]byte, error) {
	id, ok := gcmTokenID(token)
	if !ok {
		return nil, decryptErr("malformed GCM token prefix")
	}
	if id != k.id {
		return nil, decryptErr("token was written with key "+id, k.id)
	}
	body := token[gcmHeadLen:]
	if !isBase64URL(body, false) {
		return nil, decryptErr("GCM token body is not base64", k.id)
	}
	data, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil {
		return nil, decryptErr("GCM token body is not base64", k.id)
	}
	if len(data) < gcmNonceLen+gcmTagLen {
		return nil, decryptErr("GCM token too short", k.id)
	}
	plain, err := k.aead.Open(nil, data[:gcmNonceLen], data[gcmNonceLen:], []byte(token[:gcmHeadLen]))
	if err != nil {
		return nil, decryptErr("GCM authentication failed (wrong key or tampered token)", k.id)
	}
	if plain == nil {
		plain = []byte{}
	}
	return plain, nil
}
