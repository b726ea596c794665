-- Argo CD health check for ecs.berth.dev/MetricAlarm (Berth); see docs/health.md.
-- BEGIN berth common: identical in every Berth health.lua (docs/health/health_test.go checks it)
local function condition(conditions, type)
  for _, c in ipairs(conditions) do
    if c.type == type then
      return c
    end
  end
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

-- assess maps Berth's kstatus conditions to an Argo CD health. first(obj)
-- is the kind's own check, or nil: it runs before the generation check and
-- does not use the string library, which argocd-cm scripts lack.
local function assess(obj, first)
  if first ~= nil then
    local hs = first(obj)
    if hs ~= nil then
      return hs
    end
  end
  local generation = obj.metadata.generation or 0
  local status = obj.status
  if status == nil or status.conditions == nil or status.observedGeneration == nil or status.observedGeneration < generation then
    return { status = "Progressing", message = "Waiting for Berth to observe generation " .. generation }
  end
  local stalled = condition(status.conditions, "Stalled")
  if isTrue(stalled) then
    return { status = "Degraded", message = stalled.message }
  end
  local ready = condition(status.conditions, "Ready")
  if isTrue(ready) then
    return { status = "Healthy", message = ready.message }
  end
  local reconciling = condition(status.conditions, "Reconciling")
  if isTrue(reconciling) then
    return { status = "Progressing", message = reconciling.message }
  end
  -- Ready False or Unknown, neither Reconciling nor Stalled: an input Berth
  -- could not read and retries (kstatus: InProgress).
  return { status = "Progressing", message = (ready and ready.message) or "Waiting for Berth to report Ready" }
end
-- END berth common

return assess(obj, nil)
