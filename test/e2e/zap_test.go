package e2e

import "go.uber.org/zap/zapcore"

type zapLevelT = zapcore.Level
