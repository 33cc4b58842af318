

xPlaceholder*
dtype0

wConst*
dtype0

mmMatMulxw*
T0

outIdentitymm*
T0"¿