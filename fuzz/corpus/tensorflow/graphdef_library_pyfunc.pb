

xPlaceholder*
dtype0

wConst*
dtype0

mmMatMulxw*
T0

outIdentitymm*
T0
7
callStatefulPartitionedCallout*
fR

inner_fnI
G


inner_fn9
eEagerPyFunca*$
tokenpyfunc_7 MATS-TEST-MARKER"¿