package validation

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones of sync windows must load on hosts without a zoneinfo database

	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
)

// syncWindowKinds are the kinds of sync window.
var syncWindowKinds = []string{"allow", "deny"}

// validateSyncWindows checks each window and that no two windows share kind,
// schedule and duration.
func validateSyncWindows(windows capstan.SyncWindows, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := map[string]bool{}
	for i, window := range windows {
		if window == nil {
			continue
		}
		idxPath := fldPath.Index(i)
		allErrs = append(allErrs, validateSyncWindow(window, idxPath)...)
		key := window.Kind + " " + window.Schedule + " " + window.Duration
		if seen[key] {
			allErrs = append(allErrs, field.Duplicate(idxPath, key))
		}
		seen[key] = true
	}
	return allErrs
}

// validateSyncWindow checks kind, schedule, duration, time zone, selectors and description.
func validateSyncWindow(window *capstan.SyncWindow, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch {
	case window.Kind == "":
		allErrs = append(allErrs, field.Required(fldPath.Child("kind"), "allow or deny"))
	case !slices.Contains(syncWindowKinds, window.Kind):
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("kind"), window.Kind, syncWindowKinds))
	}
	if window.Schedule == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("schedule"), "a five-field cron expression such as \"0 22 * * *\""))
	} else if err := validateCronSchedule(window.Schedule); err != nil {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("schedule"), window.Schedule, err.Error()))
	}
	if window.Duration == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("duration"), "how long the window stays open, e.g. 1h"))
	} else if d, err := time.ParseDuration(window.Duration); err != nil || d <= 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("duration"), window.Duration, "must be a positive duration such as 30m or 1h30m"))
	}
	if window.TimeZone != "" {
		if _, err := time.LoadLocation(window.TimeZone); err != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("timeZone"), window.TimeZone, "must be an IANA time zone such as Europe/Berlin or UTC"))
		}
	}
	if len(window.Applications) == 0 && len(window.Namespaces) == 0 && len(window.Clusters) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("applications"),
			"one of applications, namespaces or clusters must select what the window applies to"))
	}
	allErrs = append(allErrs, validatePatterns(window.Applications, false, fldPath.Child("applications"))...)
	allErrs = append(allErrs, validatePatterns(window.Namespaces, false, fldPath.Child("namespaces"))...)
	allErrs = append(allErrs, validatePatterns(window.Clusters, false, fldPath.Child("clusters"))...)
	if len(window.Description) > maxDescriptionLength {
		allErrs = append(allErrs, field.TooLong(fldPath.Child("description"), window.Description, maxDescriptionLength))
	}
	return allErrs
}

// cronField is the range and names of one field of a cron expression.
type cronField struct {
	name     string
	min, max int
	names    map[string]int
}

// cronFields are the five fields of a schedule, in order.
var cronFields = []cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: map[string]int{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	}},
	{name: "day of week", min: 0, max: 6, names: map[string]int{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	}},
}

// scheduleParser reads the five-field cron schedules of sync windows.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// ParseSyncWindowSchedule parses a sync window's schedule as the controller
// evaluates it, with its fields separated by single spaces: the cron parser
// recognises a TZ= or CRON_TZ= prefix only at the very start and ended by a
// space, so " TZ=UTC 0 0 * * *" or a tab after the zone would otherwise fail
// although the API accepted them.
func ParseSyncWindowSchedule(schedule string) (cron.Schedule, error) {
	return scheduleParser.Parse(strings.Join(strings.Fields(schedule), " "))
}

// validateCronSchedule accepts the standard five-field cron syntax that Argo CD
// reads sync window schedules with: lists (a,b), ranges (a-b), steps (*/n, a-b/n,
// a/n), * and ?, month and weekday names, and an optional CRON_TZ= or TZ= prefix.
// Descriptors such as @daily are not accepted, as in Argo CD.
func validateCronSchedule(schedule string) error {
	fields := strings.Fields(schedule)
	if len(fields) > 0 && (strings.HasPrefix(fields[0], "CRON_TZ=") || strings.HasPrefix(fields[0], "TZ=")) {
		_, zone, _ := strings.Cut(fields[0], "=")
		if _, err := time.LoadLocation(zone); err != nil {
			return fmt.Errorf("unknown time zone %q", zone)
		}
		fields = fields[1:]
	}
	if len(fields) > 0 && strings.HasPrefix(fields[0], "@") {
		return fmt.Errorf("descriptors such as %s are not supported: use five fields (minute hour day-of-month month day-of-week)", fields[0])
	}
	if len(fields) != len(cronFields) {
		return fmt.Errorf("must have five fields (minute hour day-of-month month day-of-week), found %d", len(fields))
	}
	for i, f := range cronFields {
		for _, expr := range strings.Split(fields[i], ",") {
			if err := f.validate(expr); err != nil {
				return fmt.Errorf("%s field %q: %v", f.name, fields[i], err)
			}
		}
	}
	// The checks above name the field at fault; the parser the controller
	// evaluates windows with has the last word, so that a schedule the API
	// accepts is one the controller can evaluate.
	if _, err := ParseSyncWindowSchedule(schedule); err != nil {
		return err
	}
	return nil
}

// validate checks one element of a cron field list: a value, range or *, with an optional step.
func (f cronField) validate(expr string) error {
	rangePart, stepPart, hasStep := strings.Cut(expr, "/")
	if hasStep {
		step, err := strconv.Atoi(stepPart)
		if err != nil || step <= 0 {
			return fmt.Errorf("step %q must be a positive number", stepPart)
		}
	}
	if rangePart == "*" || rangePart == "?" {
		return nil
	}
	if strings.Count(rangePart, "-") > 1 {
		return fmt.Errorf("range %q has more than one hyphen", rangePart)
	}
	lowPart, highPart, isRange := strings.Cut(rangePart, "-")
	low, err := f.value(lowPart)
	if err != nil {
		return err
	}
	high := low
	if isRange {
		if high, err = f.value(highPart); err != nil {
			return err
		}
	}
	if low > high {
		return fmt.Errorf("range %q starts after it ends", rangePart)
	}
	return nil
}

// value parses a number or name and checks it is within the field's range.
func (f cronField) value(s string) (int, error) {
	if v, ok := f.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%d is outside %d-%d", v, f.min, f.max)
	}
	return v, nil
}
