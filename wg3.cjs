const ort=require('onnxruntime-node');
(async()=>{
  const d='fixtures/models/xf-tiny-xformer/';
  const present=[];for(let l=0;l<4;l++){present.push(`present.${l}.key`,`present.${l}.value`);}
  const loc=Object.fromEntries(present.map(n=>[n,'gpu-buffer']));
  const dec=await ort.InferenceSession.create(d+'lm_decoder.onnx',{executionProviders:['webgpu'],logSeverityLevel:3,preferredOutputLocation:loc});
  const g=await ort.InferenceSession.create('/tmp/gather-rows.onnx',{executionProviders:['webgpu'],logSeverityLevel:3,preferredOutputLocation:'gpu-buffer'});
  const cpu=await ort.InferenceSession.create(d+'lm_decoder.onnx',{executionProviders:['cpu']});
  const B=2,T=3;
  const feeds=(past)=>{const f={inputs_embeds:new ort.Tensor('float32',Float32Array.from({length:B*T*128},(_, i)=>Math.sin(i)),[B,T,128]),attention_mask:new ort.Tensor('int64',new BigInt64Array(B*(T+past)).fill(1n),[B,T+past]),position_ids:new ort.Tensor('int64',BigInt64Array.from({length:B*T},(_,i)=>BigInt(past+i%T)),[B,T])};return f};
  const empty=()=>Object.fromEntries(present.map(n=>[n.replace('present','past_key_values'),new ort.Tensor('float32',new Float32Array(0),[B,4,0,32])]));
  // prefix pass with CPU fetches
  const fetch=Object.fromEntries(present.map(n=>[n,new ort.Tensor('float32',new Float32Array(B*4*T*32),[B,4,T,32])]));
  try{ const r=await dec.run({...feeds(0),...empty()}, fetch); console.log('cpu fetch', r['present.0.key'].location, r['present.0.key'].data.slice(0,3)); }catch(e){console.log('fetch ERR',e.message)}
  const rc=await cpu.run({...feeds(0),...empty()}); console.log('cpu ref', rc['present.0.key'].data.slice(0,3));
  // step 1 on gpu, then gather swapped rows on gpu, then step 2
  const r1=await dec.run({...feeds(0),...empty()});
  console.log('r1', r1['present.0.key'].location, r1.logits.location, r1.logits.dims);
  const past={}; for(const n of present){ const o=await g.run({rows_in:r1[n],row_ids:new ort.Tensor('int64',BigInt64Array.from([1n,0n]),[2])}); past[n.replace('present','past_key_values')]=o.rows_out; }
  const r2=await dec.run({...feeds(T),...past});
  const c1=await cpu.run({...feeds(0),...empty()});
  const cp={}; for(const n of present){const t=c1[n];const per=t.size/2;const a=new Float32Array(t.size);a.set(t.data.subarray(per),0);a.set(t.data.subarray(0,per),per);cp[n.replace('present','past_key_values')]=new ort.Tensor('float32',a,t.dims);}
  const c2=await cpu.run({...feeds(T),...cp});
  let m=0; for(let i=0;i<c2.logits.size;i++) m=Math.max(m,Math.abs(c2.logits.data[i]-r2.logits.data[i]));
  console.log('max diff logits after gpu gather', m, r2.logits.dims);
  for (const n of present) r1[n].dispose();
})();
