package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Fernet token layout (https://github.com/fernet/spec/blob/master/Spec.md).
const (
	fernetVersion   = 0x80
	fernetHeaderLen = 1 + 8 + aes.BlockSize // version ‖ timestamp ‖ IV
	fernetMACLen    = sha256.Size
	fernetMinLen    = fernetHeaderLen + aes.BlockSize + fernetMACLen
	// fernetMaxClockSkew is how far in the future a token's timestamp may be
	// when a TTL is checked (the value Python's cryptography uses).
	fernetMaxClockSkew = 60 * time.Second
)

// timeNow is the clock of Encrypt; a variable only so that nothing else can
// creep in as a clock.
var timeNow = time.Now

// fernetTokenLen is the length of the token for an n-byte plaintext:
// 4·ceil((57 + 16·(⌊n/16⌋+1)) / 3).
func fernetTokenLen(n int) int {
	return base64.URLEncoding.EncodedLen(fernetMinLen - aes.BlockSize + (n/aes.BlockSize+1)*aes.BlockSize)
}

// fernetEncrypt builds the token for plaintext at time now with the given IV
// (random in Encrypt; fixed by the specification's test vectors).
func (k *Key) fernetEncrypt(plaintext []byte, now time.Time, iv [16]byte) string {
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	n := fernetHeaderLen + len(plaintext) + pad
	buf := make([]byte, n, n+fernetMACLen)
	buf[0] = fernetVersion
	binary.BigEndian.PutUint64(buf[1:9], uint64(now.Unix()))
	copy(buf[9:fernetHeaderLen], iv[:])
	body := buf[fernetHeaderLen:]
	copy(body, plaintext)
	for i := len(plaintext); i < len(body); i++ {
		body[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(k.block, iv[:]).CryptBlocks(body, body)
	mac := hmac.New(sha256.New, k.material[:16])
	mac.Write(buf)
	buf = mac.Sum(buf)
	return base64.URLEncoding.EncodeToString(buf)
}

// fernetDecrypt verifies and opens a token. With ttl > 0 it also refuses a
// token older than ttl at now, or stamped more than a minute after now, as
// the specification's verify and invalid cases require; ttl == 0 accepts any
// age, as OpenOrchestrator does.
func (k *Key) fernetDecrypt(token string, ttl time.Duration, now time.Time) ([]byte, error) {
	if !isBase64URL(token, true) {
		return nil, decryptErr("not a Fernet token: invalid base64", k.id)
	}
	data, err := base64.URLEncoding.Strict().DecodeString(token)
	if err != nil {
		return nil, decryptErr("not a Fernet token: invalid base64", k.id)
	}
	if len(data) < fernetMinLen {
		return nil, decryptErr("Fernet token too short", k.id)
	}
	if data[0] != fernetVersion {
		return nil, decryptErr("unknown Fernet version", k.id)
	}
	body := data[fernetHeaderLen : len(data)-fernetMACLen]
	if len(body)%aes.BlockSize != 0 {
		return nil, decryptErr("Fernet ciphertext is not a whole number of blocks", k.id)
	}
	mac := hmac.New(sha256.New, k.material[:16])
	mac.Write(data[:len(data)-fernetMACLen])
	if !hmac.Equal(mac.Sum(nil), data[len(data)-fernetMACLen:]) {
		return nil, decryptErr("HMAC mismatch (wrong key or tampered token)", k.id)
	}
	if ttl > 0 {
		ts := int64(binary.BigEndian.Uint64(data[1:9]))
		nowSec := now.Unix()
		if ts+int64(ttl/time.Second) < nowSec {
			return nil, decryptErr("Fernet token expired", k.id)
		}
		if nowSec+int64(fernetMaxClockSkew/time.Second) < ts {
			return nil, decryptErr("Fernet token timestamp is too far in the future", k.id)
		}
	}
	plain := make([]byte, len(body))
	cipher.NewCBCDecrypter(k.block, data[9:fernetHeaderLen]).CryptBlocks(plain, body)
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, decryptErr("bad Fernet padding", k.id)
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, decryptErr("bad Fernet padding", k.id)
		}
	}
	return plain[:len(plain)-pad], nil
}

// isBase64URL reports whether s holds only characters of the url-safe base64
// alphabet, and '=' if padded. encoding/base64 skips '\r' and '\n' even in
// Strict mode, so without this check a token with a line break in it would
// open as the token without it: one token accepted in many spellings.
func isBase64URL(s string, padded bool) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '=' && padded:
		default:
			return false
		}
	}
	return true
}

// DecryptFernetTTL opens a Fernet token and also checks its age: it fails if
// the token is older than ttl at now, or stamped more than 60 seconds after
// now. Key.Decrypt and Ring.Decrypt do not check age (OpenOrchestrator's
// tokens never expire).
func (k *Key) DecryptFernetTTL(token string, ttl time.Duration, now time.Time) ([]byte, error) {
	if k.kind != Fernet {
		return nil, decryptErr("not a Fernet key", k.id)
	}
	if ttl <= 0 {
		return nil, decryptErr("TTL must be positive", k.id)
	}
	return k.fernetDecrypt(token, ttl, now)
}
