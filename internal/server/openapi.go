package server

import (
	"regexp"
	"strings"

	"github.com/sluice-ci/sluice/internal/version"
)

// pathParam is a route's path parameter; "{path...}" (the rest of the
// path, slashes included) is written "{path}" in the document, which has
// no such parameter of its own.
var pathParam = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

// openAPIMethods are the operations an OpenAPI 3 path item may hold.
var openAPIMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}

// OpenAPI returns the OpenAPI 3 document of the routes the server serves,
// built from the same table that registers them.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, r := range s.routes {
		docPath := strings.ReplaceAll(r.Path, "...}", "}")
		op := map[string]any{
			"summary":     r.Summary,
			"operationId": strings.ToLower(r.Method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_").Replace(docPath),
			"responses": map[string]any{
				"200":     map[string]any{"description": "OK"},
				"default": map[string]any{"description": "An error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
			},
		}
		switch {
		case r.Public:
			op["security"] = []any{}
		case r.Login:
			op["security"] = []any{}
			op["x-sluice-login"] = true
			op["description"] = "Authenticated by the user name and password in the body; failures count against the caller's address like bad keys."
		case r.Webhook:
			op["security"] = []any{}
			op["description"] = "Authenticated by the provider's signature (X-Hub-Signature-256, X-Gitea-Signature) or token (X-Gitlab-Token) with the project's webhook secret."
		case r.Action == "":
			op["description"] = "Any valid key; the handler checks what the key may do with what the call names."
		default:
			op["x-sluice-action"] = string(r.Action)
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(r.Path, -1) {
			param := map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}}
			if m[2] != "" {
				param["description"] = "The rest of the path, slashes included"
			}
			params = append(params, param)
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		item, _ := paths[docPath].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[docPath] = item
		}
		method := strings.ToLower(r.Method)
		if !openAPIMethods[method] {
			// OpenAPI knows only HTTP's own methods; Terraform's LOCK and
			// UNLOCK are listed as extensions (x-lock, x-unlock).
			method = "x-" + method
		}
		item[method] = op
	}
	return map[string]any{
		"openapi":  "3.0.3",
		"info":     map[string]any{"title": "sluice control plane", "version": version.Get().Version},
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer",
				"description": "An API key (sluice keys create). Optional HMAC request signing: see docs/auth.md."}},
			"schemas": map[string]any{"Error": map[string]any{"type": "object", "properties": map[string]any{
				"error": map[string]any{"type": "object", "properties": map[string]any{
					"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}}}}}},
		},
	}
}
