package ecs

import "github.com/berth-dev/berth/internal/awsapi"

// maxPage is the largest page ECS's List operations return.
const maxPage = 100

// page pages keys as ECS does: maxResults (def when unset, at most
// maxPage) and nextToken (awsapi.Page).
func page(keys []string, maxResults *int32, def int, token string) (from, to int, next string, err error) {
	return pageBy(keys, maxResults, def, token, nil)
}

// pageBy is page for keys ordered by cmp.
func pageBy(keys []string, maxResults *int32, def int, token string, cmp func(a, b string) int) (from, to int, next string, err error) {
	n := def
	if maxResults != nil {
		n = int(*maxResults)
		if n < 1 || n > maxPage {
			return 0, 0, "", invalidParameter("maxResults must be between 1 and %d", maxPage)
		}
	}
	from, to, next, ok := awsapi.Page(keys, n, token, cmp)
	if !ok {
		return 0, 0, "", invalidParameter("Invalid nextToken")
	}
	return from, to, next, nil
}

func invalidParameter(format string, args ...any) error {
	return notFound(InvalidParameterException, format, args...)
}
