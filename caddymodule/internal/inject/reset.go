package inject

import (
	"crypto/sha256"
	"encoding/base64"
)

// resetText is the text of the script that resets HubSpot's chat widget,
// removing its cookies so the next person on the browser does not see the
// previous visitor's conversations. The SDK is not loaded when the script
// runs at the start of the head, so it queues the reset in
// window.hsConversationsOnReady, and keeps it queued if a page script later
// assigns a new array there, as HubSpot's documentation shows.
const resetText = `(function(){var w=window,done=false;` +
	`function reset(){if(done||!w.HubSpotConversations)return;done=true;w.HubSpotConversations.clear({resetWidget:true})}` +
	`var a=w.hsConversationsOnReady||[];a.push(reset);` +
	`try{Object.defineProperty(w,"hsConversationsOnReady",{configurable:true,enumerable:true,` +
	`get:function(){return a},set:function(v){a=(Array.isArray(v)?v:[]).concat([reset])}})}` +
	`catch(e){w.hsConversationsOnReady=a}})();`

// ResetScript returns a script element that resets HubSpot's chat widget
// once its SDK is ready, with a nonce attribute when nonce is not empty.
func ResetScript(nonce string) []byte {
	return element([]byte(resetText), nonce)
}

// ResetScriptHash returns the Content-Security-Policy hash source of the
// text of the element that ResetScript returns.
func ResetScriptHash() string {
	return hashSource([]byte(resetText))
}

// element wraps script text in a script element.
func element(text []byte, nonce string) []byte {
	b := make([]byte, 0, len(`<script nonce=""></script>`)+len(text)+len(nonce))
	b = appendStartTag(b, nonce)
	b = append(b, text...)
	return append(b, "</script>"...)
}

// appendStartTag appends a script start tag with an escaped nonce attribute
// when nonce is not empty.
func appendStartTag(b []byte, nonce string) []byte {
	b = append(b, "<script"...)
	if nonce != "" {
		b = append(b, ` nonce="`...)
		b = appendAttributeValue(b, nonce)
		b = append(b, '"')
	}
	return append(b, '>')
}

// hashSource returns the CSP hash source, such as 'sha256-...', of text.
func hashSource(text []byte) string {
	sum := sha256.Sum256(text)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}
