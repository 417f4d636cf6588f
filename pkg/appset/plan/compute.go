package plan

import (
	"context"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/generators"
)

// Error is a failure of one stage of computing a plan, with the reason Argo
// CD gives it in the ErrorOccurred condition.
type Error struct {
	// Reason is the condition reason, such as ApplicationGenerationFromParamsError.
	Reason string
	// Err is what failed.
	Err error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the failure.
func (e *Error) Unwrap() error { return e.Err }

// Compute runs appSet's generators, renders the Applications they describe
// and plans them against existing (the Applications of its namespace). Any
// failure is an *Error and yields no plan: nothing may be written.
func Compute(ctx context.Context, gens *generators.Generators, appSet *v1alpha1.ApplicationSet, existing []*v1alpha1.Application,
	opts Options, generateOptions generators.Options) ([]Change, error) {
	results, err := gens.Generate(ctx, appSet, generateOptions)
	if err != nil {
		return nil, &Error{Reason: v1alpha1.ApplicationSetReasonApplicationParamsGenerationError, Err: err}
	}
	desired, err := Desired(appSet, results)
	if err != nil {
		return nil, &Error{Reason: v1alpha1.ApplicationSetReasonRenderTemplateParamsError, Err: err}
	}
	changes, err := Plan(ctx, appSet, desired, existing, opts)
	if err != nil {
		return nil, &Error{Reason: v1alpha1.ApplicationSetReasonApplicationValidationError, Err: err}
	}
	return changes, nil
}
